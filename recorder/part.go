package main

import (
	"bufio"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

const (
	// How long a part waits for the other kind of track before it records the one it has.
	otherTrackWait = 4 * time.Second
	// How often a part waiting for a full-size keyframe asks for one, and how long it
	// waits for one before it takes a keyframe of another size.
	keyframeRequestInterval = time.Second
	fullSizeWait            = 5 * time.Second
	// How long ffmpeg gets to listen, and to finish its files once the streams said BYE.
	ffmpegStartTimeout = 10 * time.Second
	ffmpegStopTimeout  = 10 * time.Second
	// Closing: how long the picture being sent may take to end, and the pause before the
	// BYE.
	frameEndWait = 200 * time.Millisecond
	byeDelay     = 100 * time.Millisecond
)

type partState int

const (
	gathering partState = iota // waiting for a sender report of each track
	starting                   // ffmpeg starting
	running                    // ffmpeg has the sender reports: packets go to it
	closed
)

// stream is one track of a part: RTP to port, RTCP to port+1.
type stream struct {
	track       *track
	payloadType uint8
	port        int
	forwarding  bool // its packets go to ffmpeg (video: since a full-size keyframe)
	midFrame    bool // the last packet sent did not end its frame
}

// A part is one continuous run of ffmpeg over one set of tracks (docs/recording.md, "The
// spool"). Once each track has a sender report (ffmpeg places the tracks on one clock
// from them), it starts ffmpeg and sends it each track's report: that one only, as ffmpeg
// moves its clock on every report it gets. Then it forwards the packets as they come,
// from a keyframe at the published size (the SFU sends its lowest layer for the first
// second or so: a file that started there would declare the small size for good), the
// audio from the same moment.
//
// Nothing is held back meanwhile: ffmpeg stamps the first segment with the wall-clock time
// it starts writing, which is then the time the first picture came.
type part struct {
	spool  string // the broadcast's folder
	ffmpeg string
	logf   func(format string, args ...any)
	notify func(partEvent) // to its broadcast
	begun  time.Time

	mu            sync.Mutex
	state         partState
	stopping      bool
	streams       []*stream
	keyframeAsked time.Time
	runningSince  time.Time
	number        int
	dir           string
	conn          *net.UDPConn
	cmd           *exec.Cmd
	launched      chan struct{} // closed once ffmpeg started, or failed to
	exited        chan struct{} // closed once ffmpeg exited
	exitErr       error
	closeOnce     sync.Once
}

// What a part tells its broadcast.
type partEvent struct {
	part         *part
	firstSegment bool  // its first segment is on disk
	failed       error // ffmpeg could not start, or exited by itself
}

func newPart(spool, ffmpeg string, logf func(string, ...any), notify func(partEvent)) *part {
	return &part{
		spool: spool, ffmpeg: ffmpeg, logf: logf, notify: notify, begun: time.Now(),
		launched: make(chan struct{}), exited: make(chan struct{}),
	}
}

// attach adds a track while the part has not started and has no track of that kind.
func (p *part) attach(t *track) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != gathering || p.stream(t.kind) != nil {
		return false
	}
	payloadType := uint8(h264PayloadType)
	if t.kind == audio {
		payloadType = opusPayloadType
	}
	p.streams = append(p.streams, &stream{track: t, payloadType: payloadType})
	t.sink.Store(p)
	return true
}

func (p *part) has(k kind) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stream(k) != nil
}

func (p *part) stream(k kind) *stream {
	for _, s := range p.streams {
		if s.track.kind == k {
			return s
		}
	}
	return nil
}

// write takes one packet of one of the part's tracks.
func (p *part) write(t *track, packet *rtp.Packet) {
	if len(packet.Payload) == 0 || isBlankFrame(t.kind, packet.Payload) {
		return // padding the SFU probes with, or the blank frames of a closing track
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stream(t.kind)
	if p.state != running || s == nil || s.track != t {
		return
	}
	if p.stopping && !(s.track.kind == video && s.midFrame) {
		return // the part ends here, on whole frames
	}
	if !p.forwards(s, packet) {
		return
	}
	p.send(s, packet)
	s.midFrame = !packet.Marker
}

// forwards says whether a packet goes to ffmpeg: from a full-size keyframe on for the
// video, and from then on for the audio too.
func (p *part) forwards(s *stream, packet *rtp.Packet) bool {
	if s.forwarding {
		return true
	}
	if s.track.kind == video {
		width, height, ok := keyframe(packet.Payload)
		if !ok {
			return false
		}
		if !s.track.fullSize(width, height) {
			if time.Since(p.runningSince) < fullSizeWait {
				return false
			}
			p.logf("part %d: no keyframe at the published size yet: starting at %dx%d", p.number, width, height)
		}
	} else if v := p.stream(video); v != nil && !v.forwarding {
		return false
	}
	s.forwarding = true
	if len(p.streams) == 1 || s.track.kind == video {
		p.logf("part %d started (%s)", p.number, p.describe())
	}
	return true
}

// changed: a track got a sender report.
func (p *part) changed() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.startIfReady()
}

// tick runs a few times a second: starts a part that waited long enough for a second
// track, and asks for a keyframe while one is awaited.
func (p *part) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.startIfReady()
	if v := p.stream(video); p.state == running && v != nil && !v.forwarding &&
		time.Since(p.keyframeAsked) > keyframeRequestInterval {
		p.keyframeAsked = time.Now()
		v.track.requestKeyframe()
	}
}

func (p *part) startIfReady() {
	if p.state != gathering || p.stopping || len(p.streams) == 0 {
		return
	}
	if len(p.streams) < 2 && time.Since(p.begun) < otherTrackWait {
		return
	}
	for _, s := range p.streams {
		if s.track.lastSenderReport() == nil {
			return
		}
	}
	p.state = starting
	go p.start()
}

// start runs ffmpeg, then sends it the sender reports.
func (p *part) start() {
	err := p.launch()
	p.mu.Lock()
	if err != nil {
		p.state = closed
		p.mu.Unlock()
		close(p.launched)
		p.notify(partEvent{part: p, failed: err})
		return
	}
	for _, s := range p.streams {
		if buf, err := s.track.lastSenderReport().Marshal(); err == nil {
			p.sendTo(s.port+1, buf)
		}
	}
	p.state, p.runningSince = running, time.Now()
	if v := p.stream(video); v != nil {
		p.keyframeAsked = time.Now()
		v.track.requestKeyframe()
	}
	p.mu.Unlock()
	close(p.launched)
	go p.watchSegments()
}

func (p *part) describe() string {
	description := ""
	for i, s := range p.streams {
		if i > 0 {
			description += " + "
		}
		description += s.track.String()
		if s.track.kind == video {
			description += fmt.Sprintf(" %dx%d", s.track.width, s.track.height)
		}
	}
	return description
}

// launch takes the next free part folder and starts ffmpeg on it, listening.
func (p *part) launch() error {
	number, dir, err := nextPart(p.spool)
	if err != nil {
		return err
	}
	p.number, p.dir = number, dir
	var ports []int
	for _, s := range p.streams {
		if s.port, err = freePortPair(); err != nil {
			return err
		}
		ports = append(ports, s.port, s.port+1)
	}
	if p.conn, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		return err
	}
	description, err := os.CreateTemp("", "recorder-*.sdp")
	if err != nil {
		return err
	}
	defer os.Remove(description.Name())
	title := fmt.Sprintf("%s part %d", filepath.Base(p.spool), number)
	if _, err := description.WriteString(sdp(title, p.streams)); err != nil {
		return err
	}
	description.Close()

	p.cmd = exec.Command(p.ffmpeg, ffmpegArguments(description.Name(), dir)...)
	// A recorder that dies takes its ffmpeg along (which would otherwise wait for packets
	// for ever); the segments on disk stay listed, and the next run ends that playlist.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := p.cmd.Start(); err != nil {
		return err
	}
	go func() {
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			p.logf("part %d: ffmpeg: %s", number, lines.Text())
		}
		err := p.cmd.Wait()
		p.mu.Lock()
		p.exitErr = err
		unexpected := p.state == running && !p.stopping
		p.mu.Unlock()
		close(p.exited)
		if unexpected {
			if err == nil {
				err = errors.New("ffmpeg stopped by itself")
			}
			p.notify(partEvent{part: p, failed: err})
		}
	}()
	deadline := time.Now().Add(ffmpegStartTimeout)
	for !portsBound(ports) {
		select {
		case <-p.exited:
			return fmt.Errorf("ffmpeg exited at start: %v", p.exitErr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.cmd.Process.Kill()
			return errors.New("ffmpeg did not listen")
		}
	}
	return nil
}

// ffmpegArguments: RTP in as the SDP describes it, copied into HLS: fMP4 segments of about
// 4 s, each with its wall-clock time (the site places chat on the video's time axis with
// it), listed in an event playlist that gets #EXT-X-ENDLIST when the input ends.
func ffmpegArguments(sdpPath, dir string) []string {
	return []string{
		"-hide_banner", "-nostdin", "-loglevel", "error",
		"-protocol_whitelist", "file,udp,rtp",
		"-localaddr", "127.0.0.1",
		// Otherwise the RTP input gives up after 10 s without packets (a frozen stream).
		"-listen_timeout", "-1",
		// Its first segment is stamped when the output starts: right at the first frames,
		// rather than after a second of frames spent guessing the frame rate.
		"-fpsprobesize", "0",
		"-f", "sdp", "-i", sdpPath,
		"-map", "0", "-c", "copy",
		"-f", "hls",
		"-hls_time", "4",
		"-hls_playlist_type", "event",
		"-hls_segment_type", "fmp4",
		"-hls_fmp4_init_filename", "init.mp4",
		"-hls_segment_filename", filepath.Join(dir, "seg-%05d.m4s"),
		"-start_number", "1",
		// temp_file: a segment appears under its name once written, whole.
		"-hls_flags", "program_date_time+independent_segments+temp_file",
		filepath.Join(dir, "index.m3u8"),
	}
}

func (p *part) send(s *stream, packet *rtp.Packet) {
	if buf, err := forwarded(packet, s.payloadType); err == nil {
		p.sendTo(s.port, buf)
	}
}

func (p *part) sendTo(port int, buf []byte) {
	_, _ = p.conn.WriteToUDP(buf, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
}

// watchSegments says when the first segment is on disk.
func (p *part) watchSegments() {
	for {
		select {
		case <-p.exited:
			return
		case <-time.After(500 * time.Millisecond):
		}
		if segments, _, _ := readPlaylist(filepath.Join(p.dir, "index.m3u8")); segments > 0 {
			p.notify(partEvent{part: p, firstSegment: true})
			return
		}
	}
}

// close ends the part: its tracks stop feeding it, ffmpeg gets an RTCP BYE per stream
// and finishes its files (the playlist gets #EXT-X-ENDLIST). A part that wrote nothing
// leaves no folder.
func (p *part) close() {
	p.closeOnce.Do(p.stop)
}

func (p *part) stop() {
	p.mu.Lock()
	p.stopping = true
	state := p.state
	if state == gathering {
		p.state = closed
	}
	p.mu.Unlock()
	if state != gathering {
		<-p.launched
	}
	// The picture being sent is sent whole (a cut one would end the video on a broken
	// frame), then the tracks stop feeding the part.
	for deadline := time.Now().Add(frameEndWait); time.Now().Before(deadline) && p.midFrame(); {
		time.Sleep(5 * time.Millisecond)
	}
	p.mu.Lock()
	for _, s := range p.streams {
		s.track.sink.CompareAndSwap(p, nil)
	}
	p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		p.cleanUp()
		return
	}
	// ffmpeg reads a stream's RTCP before its RTP: the BYE waits until it has read the
	// last packets.
	time.Sleep(byeDelay)
	p.mu.Lock()
	for _, s := range p.streams {
		// ffmpeg ignores RTCP packets under 12 bytes: the reason makes it longer.
		bye := rtcp.Goodbye{Sources: []uint32{s.track.ssrc()}, Reason: "stream ended"}
		if buf, err := bye.Marshal(); err == nil {
			p.sendTo(s.port+1, buf)
		}
	}
	p.state = closed
	p.mu.Unlock()
	if !p.waitExit(ffmpegStopTimeout) {
		p.logf("part %d: ffmpeg did not end on BYE: interrupting it", p.number)
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		if !p.waitExit(5 * time.Second) {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}
	p.cleanUp()
}

func (p *part) midFrame() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	v := p.stream(video)
	return p.state == running && v != nil && v.midFrame
}

func (p *part) waitExit(timeout time.Duration) bool {
	select {
	case <-p.exited:
		return true
	case <-time.After(timeout):
		return false
	}
}

// cleanUp after ffmpeg: the playlist ends (ENDLIST written if ffmpeg could not), or the
// folder goes when no segment was written.
func (p *part) cleanUp() {
	if p.conn != nil {
		p.conn.Close()
	}
	if p.dir == "" {
		return
	}
	playlist := filepath.Join(p.dir, "index.m3u8")
	segments, seconds, ended := readPlaylist(playlist)
	if segments == 0 {
		os.RemoveAll(p.dir)
		p.logf("part %d discarded: nothing was written", p.number)
		return
	}
	if !ended {
		if err := endPlaylist(playlist); err != nil {
			p.logf("error: part %d: %v", p.number, err)
		}
	}
	p.logf("part %d closed: %d segments, %.1f s", p.number, segments, seconds)
}

// logger returns the logging function of a broadcast.
func logger(broadcast string) func(string, ...any) {
	return func(format string, args ...any) {
		log.Printf("broadcast %s: "+format, append([]any{broadcast}, args...)...)
	}
}
