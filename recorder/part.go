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
	"sort"
	"strconv"
	"strings"
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
	// While a part runs it asks for a keyframe this often: segments can only be cut at one,
	// and Ingress's encoder makes one about every 10 s unasked (10 s segments, and a clip or
	// a seek landing up to 10 s early). Twice as often as hls_time asks, as OBS's
	// recommended keyframe interval: a segment is then 4 to 6 s.
	segmentKeyframeInterval = 2 * time.Second
	fullSizeWait            = 5 * time.Second
	// The audio kept from just before the first keyframe: the sound of the first picture
	// may come a little before it.
	audioPreRoll = time.Second
	// How long a part holds its packets for a sender report of each track (the SFU sends
	// one about every 3 s). A track without one by then is timed by when its packets came.
	senderReportWait = 6 * time.Second
	// The held packets go to ffmpeg this many times faster than they came.
	flushSpeed = 8
	// ffmpeg ends its part by itself after this many seconds without a packet, writing its
	// last segment. The part sends it a keepalive more often than that, so this happens
	// only when the recorder died (a frozen stream goes on).
	ffmpegInputTimeout = 5
	keepaliveInterval  = 500 * time.Millisecond
	// How long ffmpeg gets to listen, and to finish its files once the streams said BYE.
	ffmpegStartTimeout = 10 * time.Second
	ffmpegStopTimeout  = 10 * time.Second
	// Closing: how long the held packets may take to go, the picture being sent to end,
	// and the pause before the BYE.
	flushEndWait = 10 * time.Second
	frameEndWait = 200 * time.Millisecond
	byeDelay     = 100 * time.Millisecond
)

type partState int

const (
	gathering partState = iota // waiting for its first keyframe, then holding packets for the sender reports
	starting                   // ffmpeg starting
	running                    // ffmpeg runs: it gets the held packets, then the packets as they come
	closed
)

// stream is one track of a part: RTP to port, RTCP to port+1.
type stream struct {
	track       *track
	payloadType uint8
	port        int
	attached    time.Time
	mapping     *rtcp.SenderReport // RTP time to wall clock: the track's sender report, or one made up from arrival
	reported    bool               // ffmpeg has its sender report
	midFrame    bool               // the last packet taken did not end its frame
}

// A packet taken by a part, and when it came.
type heldPacket struct {
	stream *stream
	packet *rtp.Packet
	at     time.Time
}

// A part is one continuous run of ffmpeg over one set of tracks (docs/recording.md, "The
// spool"). It begins at a keyframe at the published size (the SFU sends its lowest layer
// for the first second or so: a file that started there would declare the small size for
// good), with the audio of the same moment, and holds the packets from there until each
// track has a sender report, by which ffmpeg places the tracks on one clock. Then it
// starts ffmpeg and gives it one report per track (moved along the report's mapping to the
// track's first packet: ffmpeg moves its clock on every report it gets, so it gets no
// other), the held packets, faster than they came, then the packets as they come.
//
// Its wall clock, clock.txt, is when its first picture was captured, by the video's sender
// report. (ffmpeg's program date-time says when ffmpeg started: seconds later.)
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
	anchored      time.Time    // when its first packet came (zero until then)
	preRoll       []heldPacket // before that, the audio of the last second
	held          []heldPacket // taken, not yet sent to ffmpeg
	live          bool         // the held packets are sent: packets go to ffmpeg as they come
	clock         time.Time    // when its first frame was captured
	number        int
	dir           string
	conn          *net.UDPConn
	cmd           *exec.Cmd
	launched      chan struct{} // closed once ffmpeg started, or failed to
	flushed       chan struct{} // closed once the held packets are sent, or ffmpeg failed
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
		launched: make(chan struct{}), flushed: make(chan struct{}), exited: make(chan struct{}),
	}
}

// attach adds a track while the part has not started and has no track of that kind (nor,
// for a video track, began with its audio alone).
func (p *part) attach(t *track) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != gathering || p.stream(t.kind) != nil || (t.kind == video && !p.anchored.IsZero()) {
		return false
	}
	payloadType := uint8(h264PayloadType)
	if t.kind == audio {
		payloadType = opusPayloadType
	}
	p.streams = append(p.streams, &stream{track: t, payloadType: payloadType, attached: time.Now()})
	t.sink.Store(p)
	if t.kind == video {
		p.keyframeAsked = time.Now()
		t.requestKeyframe()
	}
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
	h := heldPacket{packet: packet, at: time.Now()}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stream(t.kind)
	if p.state == closed || s == nil || s.track != t {
		return
	}
	if p.stopping && !(s.track.kind == video && s.midFrame) {
		return // the part ends here, on whole frames
	}
	h.stream = s
	first := p.anchored.IsZero()
	if first && !p.anchor(h) {
		return
	}
	if s.track.kind == video {
		s.midFrame = !packet.Marker
	}
	if p.live {
		p.send(h)
	} else {
		p.held = append(p.held, h)
	}
	if first {
		p.startIfReady() // the sender reports may all be there already
	}
}

// anchor says, before the part has begun, whether it begins at this packet: a keyframe at
// the published size, or for a part without video its audio. The audio of the last second
// is kept meanwhile: it may be of the same moment as the first picture.
func (p *part) anchor(h heldPacket) bool {
	s := h.stream
	if s.track.kind == audio {
		if p.stream(video) != nil || time.Since(p.begun) < otherTrackWait {
			p.preRoll = append(after(p.preRoll, h.at.Add(-audioPreRoll)), h)
			return false
		}
		p.logf("part: no video: it begins with the audio")
	} else {
		width, height, ok := keyframe(h.packet.Payload)
		if !ok {
			return false
		}
		if !s.track.fullSize(width, height) {
			if time.Since(s.attached) < fullSizeWait {
				return false
			}
			p.logf("part: no keyframe at the published size yet: starting at %dx%d", width, height)
		}
		p.logf("part: first keyframe (%dx%d), %d ms after the video was attached", width, height, time.Since(s.attached).Milliseconds())
	}
	p.anchored = h.at
	p.held, p.preRoll = p.preRoll, nil
	return true
}

// after: the packets that came at or after a time.
func after(packets []heldPacket, since time.Time) []heldPacket {
	for i, h := range packets {
		if !h.at.Before(since) {
			return packets[i:]
		}
	}
	return nil
}

// changed: a track got a sender report.
func (p *part) changed(*track) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.startIfReady()
}

// tick runs a few times a second: starts a part that waited long enough for a second
// track or a sender report, and asks for a keyframe while one is awaited, and every
// segmentKeyframeInterval while it runs.
func (p *part) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.startIfReady()
	if v := p.stream(video); p.state == gathering && p.anchored.IsZero() && v != nil &&
		time.Since(p.keyframeAsked) > keyframeRequestInterval {
		p.keyframeAsked = time.Now()
		v.track.requestKeyframe()
	}
	if v := p.stream(video); p.state == running && v != nil &&
		time.Since(p.keyframeAsked) > segmentKeyframeInterval {
		p.keyframeAsked = time.Now()
		v.track.requestKeyframe()
	}
}

func (p *part) startIfReady() {
	if p.state != gathering || p.stopping || p.anchored.IsZero() {
		return
	}
	if len(p.streams) < 2 && time.Since(p.begun) < otherTrackWait {
		return
	}
	for _, s := range p.streams {
		if s.track.lastSenderReport() == nil && time.Since(p.anchored) < senderReportWait {
			return
		}
	}
	p.prepare()
	p.state = starting
	go p.start()
}

// prepare times the part: each track's mapping to the wall clock, the part's clock (its
// first frame), and no audio from before that frame.
func (p *part) prepare() {
	// The video first: ffmpeg reads the streams in the SDP's order, and the first sender
	// report it reads is its time 0.
	sort.SliceStable(p.streams, func(i, j int) bool {
		return p.streams[i].track.kind == video && p.streams[j].track.kind != video
	})
	var reports []string
	for _, s := range p.streams {
		first := p.firstHeld(s)
		switch report, at := s.track.lastSenderReport(), s.track.lastSenderReportAt(); {
		case report != nil:
			s.mapping = report
			reports = append(reports, fmt.Sprintf("%s %+d ms", s.track.kind, at.Sub(p.anchored).Milliseconds()))
		case first != nil:
			s.mapping = reportFromArrival(s.track.ssrc(), first.packet.Timestamp, first.at)
			p.logf("part: %s: no sender report in %s: timed by when its packets came", s.track, senderReportWait)
		}
	}
	lead := p.streams[0]
	if first := p.firstHeld(lead); first != nil && lead.mapping != nil {
		p.clock = captureTime(lead.mapping, first.packet.Timestamp, lead.track.clockRate())
	} else {
		p.clock = p.anchored
	}
	if a := p.stream(audio); a != nil && a != lead && a.mapping != nil {
		kept := p.held[:0]
		for _, h := range p.held {
			if h.stream != a || !captureTime(a.mapping, h.packet.Timestamp, a.track.clockRate()).Before(p.clock) {
				kept = append(kept, h)
			}
		}
		p.held = kept
	}
	p.logf("part: held %d ms (sender reports, from the first keyframe: %s); first frame captured %d ms before it came",
		time.Since(p.anchored).Milliseconds(), strings.Join(reports, ", "), p.anchored.Sub(p.clock).Milliseconds())
}

func (p *part) firstHeld(s *stream) *heldPacket {
	for i := range p.held {
		if p.held[i].stream == s {
			return &p.held[i]
		}
	}
	return nil
}

// start runs ffmpeg, then gives it what was held.
func (p *part) start() {
	began := time.Now()
	err := p.launch()
	p.mu.Lock()
	if err != nil {
		p.state = closed
		p.mu.Unlock()
		close(p.launched)
		close(p.flushed)
		p.notify(partEvent{part: p, failed: err})
		return
	}
	p.state = running
	held := len(p.held)
	p.mu.Unlock()
	p.logf("part %d started (%s): ffmpeg listening after %d ms, %d packets held", p.number, p.describe(), time.Since(began).Milliseconds(), held)
	close(p.launched)
	go p.flush()
	go p.keepAlive()
	go p.watchSegments()
}

// flush sends each stream's sender report, the video's first, then the held packets in
// the order they came, faster than they came (ffmpeg's socket buffer would overflow with
// seconds of video at once), until none is left: from then on packets go as they come.
func (p *part) flush() {
	defer close(p.flushed)
	p.mu.Lock()
	for _, s := range p.streams {
		if first := p.firstHeld(s); first != nil {
			p.report(s, *first)
		}
	}
	p.mu.Unlock()
	var origin, begun time.Time
	for {
		p.mu.Lock()
		batch := p.held
		p.held = nil
		if len(batch) == 0 || p.state != running {
			p.live = true
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		for _, h := range batch {
			if origin.IsZero() {
				origin, begun = h.at, time.Now()
			}
			if wait := time.Until(begun.Add(h.at.Sub(origin) / flushSpeed)); wait > 0 {
				time.Sleep(wait)
			}
			p.mu.Lock()
			p.send(h)
			p.mu.Unlock()
		}
	}
}

// send gives ffmpeg a packet, after its stream's sender report.
func (p *part) send(h heldPacket) {
	s := h.stream
	if !s.reported {
		p.report(s, h)
	}
	if buf, err := forwarded(h.packet, s.payloadType); err == nil {
		p.sendTo(s.port, buf)
	}
}

// report gives ffmpeg the stream's only sender report: its mapping, moved to its first
// packet (so that no packet is timed before its report).
func (p *part) report(s *stream, first heldPacket) {
	mapping := s.mapping
	if mapping == nil { // a track that sent nothing while the part was held
		mapping = reportFromArrival(s.track.ssrc(), first.packet.Timestamp, first.at)
	}
	report := reportAt(mapping, first.packet.Timestamp, s.track.clockRate())
	report.SSRC = s.track.ssrc()
	if buf, err := report.Marshal(); err == nil {
		p.sendTo(s.port+1, buf)
	}
	s.reported = true
}

// keepAlive tells ffmpeg twice a second that the recorder is there, even while a stream
// sends nothing: an RTCP source description, which ffmpeg reads and ignores.
func (p *part) keepAlive() {
	ticker := time.NewTicker(keepaliveInterval)
	defer ticker.Stop()
	for {
		select {
		case <-p.exited:
			return
		case <-ticker.C:
		}
		p.mu.Lock()
		if p.state != running {
			p.mu.Unlock()
			return
		}
		for _, s := range p.streams {
			if buf, err := rtcp.NewCNAMESourceDescription(s.track.ssrc(), "recorder").Marshal(); err == nil {
				p.sendTo(s.port+1, buf)
			}
		}
		p.mu.Unlock()
	}
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

// launch takes the next free part folder, writes its clock, and starts ffmpeg on it,
// listening.
func (p *part) launch() error {
	number, dir, err := nextPart(p.spool)
	if err != nil {
		return err
	}
	p.number, p.dir = number, dir
	if err := writeClock(dir, p.clock); err != nil {
		return err
	}
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

	// ffmpeg writes what it says to a file: it outlives a recorder that dies (to finish
	// its last segment), and a pipe to the recorder would then kill it on its next line.
	logPath := filepath.Join(dir, "ffmpeg.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	p.cmd = exec.Command(p.ffmpeg, ffmpegArguments(description.Name(), dir)...)
	p.cmd.Stderr = logFile
	if err := p.cmd.Start(); err != nil {
		return err
	}
	go func() {
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
	go followLog(logPath, p.exited, func(line string) { p.logf("part %d: ffmpeg: %s", number, line) })
	deadline := time.Now().Add(ffmpegStartTimeout)
	for !portsBound(ports) {
		select {
		case <-p.exited:
			return fmt.Errorf("ffmpeg exited at start: %v", p.exitErr)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.cmd.Process.Kill()
			return errors.New("ffmpeg did not listen")
		}
	}
	return nil
}

// followLog hands on each line written to a file until done is closed (and what was
// written until then).
func followLog(path string, done <-chan struct{}, say func(string)) {
	file, err := os.Open(path)
	if err != nil {
		return
	}
	defer file.Close()
	reader := bufio.NewReader(file)
	var line []byte
	for finished := false; ; {
		for {
			chunk, err := reader.ReadBytes('\n')
			line = append(line, chunk...)
			if err != nil {
				break
			}
			say(strings.TrimRight(string(line), "\r\n"))
			line = nil
		}
		if finished {
			if len(line) > 0 {
				say(strings.TrimRight(string(line), "\r\n"))
			}
			return
		}
		select {
		case <-done:
			finished = true
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// ffmpegArguments: RTP in as the SDP describes it, copied into HLS: fMP4 segments of about
// 4 s, listed in an event playlist that gets #EXT-X-ENDLIST when the input ends.
func ffmpegArguments(sdpPath, dir string) []string {
	return []string{
		"-hide_banner", "-nostdin", "-loglevel", "error",
		"-protocol_whitelist", "file,udp,rtp",
		"-localaddr", "127.0.0.1",
		// The input ends after this long without a packet (the part's keepalives aside):
		// only when the recorder died.
		"-listen_timeout", strconv.Itoa(ffmpegInputTimeout),
		// Its output starts at the first frames, rather than after a second of frames
		// spent guessing the frame rate.
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
		// temp_file: a segment appears under its name once written, whole. The program
		// date-time is when ffmpeg started writing; the part's clock.txt is better.
		"-hls_flags", "program_date_time+independent_segments+temp_file",
		filepath.Join(dir, "index.m3u8"),
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
		case <-time.After(250 * time.Millisecond):
		}
		if segments, _, _ := readPlaylist(filepath.Join(p.dir, "index.m3u8")); segments > 0 {
			p.logf("part %d: first segment written", p.number)
			p.notify(partEvent{part: p, firstSegment: true})
			return
		}
	}
}

// close ends the part: its tracks stop feeding it, ffmpeg gets what was held, then an
// RTCP BYE per stream, and finishes its files (the playlist gets #EXT-X-ENDLIST). A part
// that wrote nothing leaves no folder.
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
		select {
		case <-p.flushed:
		case <-time.After(flushEndWait):
			p.logf("part %d: the held packets were not all sent in %s", p.number, flushEndWait)
		}
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
