package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

func TestTheNextPartNeverReusesANumber(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"part-001", "part-003"} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	number, path, err := nextPart(dir)
	if err != nil || number != 4 || filepath.Base(path) != "part-004" {
		t.Fatalf("got %d %s %v, want part-004", number, path, err)
	}
	if number, _, _ := nextPart(filepath.Join(dir, "new")); number != 1 {
		t.Fatalf("a new broadcast starts at part %d, want 1", number)
	}
}

func TestAPlaylistLeftOpenIsEnded(t *testing.T) {
	dir := t.TempDir()
	part := filepath.Join(dir, "part-001")
	os.Mkdir(part, 0o755)
	playlist := filepath.Join(part, "index.m3u8")
	os.WriteFile(playlist, []byte("#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:4.2,\nseg-00001.m4s\n#EXTINF:3.8,\nseg-00002.m4s\n"), 0o644)
	if !closeLeftoverParts(dir, t.Logf) {
		t.Fatal("a part with segments counts as recorded")
	}
	segments, seconds, ended := readPlaylist(playlist)
	if segments != 2 || seconds != 8 || !ended {
		t.Fatalf("got %d segments, %.1f s, ended %v", segments, seconds, ended)
	}
	closeLeftoverParts(dir, t.Logf)
	text, _ := os.ReadFile(playlist)
	if strings.Count(string(text), "#EXT-X-ENDLIST") != 1 {
		t.Fatalf("ENDLIST written more than once:\n%s", text)
	}
}

func TestTheSFUsBlankFramesAreRecognised(t *testing.T) {
	stap := append([]byte{0x18, 0x00, byte(len(blankH264SPS))}, blankH264SPS...)
	if !isBlankFrame(video, stap) || !isBlankFrame(audio, opusSilence) {
		t.Fatal("blank frames not recognised")
	}
	if isBlankFrame(audio, []byte{0xf8, 0xff, 0xfe}) || isBlankFrame(audio, []byte{0x78}) {
		t.Fatal("Ingress's own silence (short Opus packets) is recorded")
	}
}

func TestTheSDPDescribesEachStreamOnItsPorts(t *testing.T) {
	streams := []*stream{{track: &track{kind: video}, port: 40000}, {track: &track{kind: audio}, port: 40002}}
	text := sdp("42 part 1", streams)
	for _, line := range []string{"m=video 40000 RTP/AVP 96", "a=rtpmap:96 H264/90000", "m=audio 40002 RTP/AVP 111", "a=rtpmap:111 opus/48000/2"} {
		if !strings.Contains(text, line+"\r\n") {
			t.Fatalf("no %q in\n%s", line, text)
		}
	}
}

func TestAKeyframeSaysItsSize(t *testing.T) {
	// An SPS of 640x360 (x264, High profile), as a single NAL unit.
	sps := []byte{0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0f, 0x16, 0x2d, 0x96}
	if width, height, ok := keyframe(sps); !ok || width != 640 || height != 360 {
		t.Fatalf("got %dx%d %v, want 640x360", width, height, ok)
	}
	stap := append([]byte{0x18, 0x00, byte(len(blankH264SPS))}, blankH264SPS...)
	if _, _, ok := keyframe(stap); ok {
		t.Fatal("the SFU's 2x2 keyframe counts as a picture")
	}
	published := &track{kind: video, width: 1280, height: 720}
	if published.fullSize(640, 360) || !published.fullSize(1280, 720) || !(&track{}).fullSize(640, 360) {
		t.Fatal("the published size decides, when there is one")
	}
}

func TestASenderReportMovesAlongItsMapping(t *testing.T) {
	at := time.Date(2026, 12, 3, 7, 10, 39, 123456000, time.UTC)
	start := uint32(4294967000)
	report := &rtcp.SenderReport{SSRC: 7, NTPTime: toNTP(at), RTPTime: start}
	// 2.5 s of a 90 kHz clock later, across the wrap of the RTP timestamp.
	later := reportAt(report, start+225000, 90000)
	if got := ntpTime(later.NTPTime); got.Sub(at) != 2500*time.Millisecond {
		t.Fatalf("2.5 s later is %s later", got.Sub(at))
	}
	if later.SSRC != 7 || report.RTPTime != start {
		t.Fatal("the report moved is a copy of the same source")
	}
	earlier := captureTime(report, start-48000*3, 48000)
	if d := at.Sub(earlier); d < 3*time.Second-time.Microsecond || d > 3*time.Second+time.Microsecond {
		t.Fatalf("3 s earlier is %s earlier", d)
	}
}

func TestAPartsClockIsISOTimeInUTCWithMicroseconds(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 12, 3, 8, 10, 39, 123456789, time.FixedZone("CET", 3600))
	if err := writeClock(dir, at); err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(filepath.Join(dir, "clock.txt"))
	if string(text) != "2026-12-03T07:10:39.123456+00:00\n" {
		t.Fatalf("clock.txt says %q", text)
	}
	if ntpTime(toNTP(at)).Sub(at).Abs() > time.Microsecond {
		t.Fatal("NTP time does not round-trip")
	}
}

func TestAFileIsFollowedLineByLineUntilDone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ffmpeg.log")
	os.WriteFile(path, []byte("first\nsec"), 0o644)
	done := make(chan struct{})
	lines := make(chan string, 10)
	go func() {
		followLog(path, done, func(line string) { lines <- line })
		close(lines)
	}()
	if line := <-lines; line != "first" {
		t.Fatalf("got %q", line)
	}
	file, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	file.WriteString("ond\nlast, unended")
	file.Close()
	if line := <-lines; line != "second" {
		t.Fatalf("got %q", line)
	}
	close(done)
	var rest []string
	for line := range lines {
		rest = append(rest, line)
	}
	if strings.Join(rest, "|") != "last, unended" {
		t.Fatalf("got %q", rest)
	}
}
