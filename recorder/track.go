package main

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livekit/mediatransportutil/pkg/codec"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

type kind string

const (
	video kind = "video"
	audio kind = "audio"
)

// track is one subscribed track: its RTP is read as it comes (never decoded) and handed to
// the part it belongs to, if any.
type track struct {
	remote      *webrtc.TrackRemote
	publication *lksdk.RemoteTrackPublication
	participant *lksdk.RemoteParticipant
	kind        kind
	// The size the publisher sends at its best layer (0 when it did not say).
	width, height uint32

	sink atomic.Pointer[part] // the part its packets go to

	mu             sync.Mutex
	senderReport   *rtcp.SenderReport // the latest one
	senderReportAt time.Time          // when it came
}

func newTrack(remote *webrtc.TrackRemote, publication *lksdk.RemoteTrackPublication, participant *lksdk.RemoteParticipant) *track {
	t := &track{remote: remote, publication: publication, participant: participant, kind: audio}
	if remote.Kind() == webrtc.RTPCodecTypeVideo {
		t.kind = video
	}
	if info := publication.TrackInfo(); info != nil {
		t.width, t.height = info.Width, info.Height
		for _, layer := range info.Layers {
			if layer.Width*layer.Height > t.width*t.height {
				t.width, t.height = layer.Width, layer.Height
			}
		}
	}
	return t
}

func (t *track) mimeType() string { return strings.ToLower(t.remote.Codec().MimeType) }

func (t *track) ssrc() uint32 { return uint32(t.remote.SSRC()) }

func (t *track) clockRate() uint32 { return t.remote.Codec().ClockRate }

func (t *track) String() string { return string(t.kind) + " " + t.publication.SID() }

// listen keeps the track's sender reports, from the moment it is subscribed: the SFU
// sends one about every 3 s, and a part waits for the first.
func (t *track) listen() {
	t.publication.OnRTCP(func(packet rtcp.Packet) {
		if report, ok := packet.(*rtcp.SenderReport); ok && report.SSRC == t.ssrc() {
			t.mu.Lock()
			t.senderReport, t.senderReportAt = report, time.Now()
			t.mu.Unlock()
			if p := t.sink.Load(); p != nil {
				p.changed(t)
			}
		}
	})
}

// read hands every packet to the track's part until the track ends.
func (t *track) read() {
	for {
		packet, _, err := t.remote.ReadRTP()
		if err != nil {
			return
		}
		if p := t.sink.Load(); p != nil {
			p.write(t, packet)
		}
	}
}

func (t *track) lastSenderReport() *rtcp.SenderReport {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.senderReport
}

func (t *track) lastSenderReportAt() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.senderReportAt
}

// requestKeyframe asks the publisher for a keyframe (a PLI).
func (t *track) requestKeyframe() {
	t.participant.WritePLI(t.remote.SSRC())
}

// keyframe says whether an H.264 packet starts a keyframe, and its size.
func keyframe(payload []byte) (width, height uint32, ok bool) {
	if !codec.IsH264KeyFrame(payload) {
		return 0, 0, false
	}
	size := codec.ExtractH264VideoSize(payload)
	return size.Width, size.Height, size.Width > 16 && size.Height > 16 // not a blank frame
}

// fullSize says whether a picture has the size the publisher sends at its best layer
// (any size when it did not say).
func (t *track) fullSize(width, height uint32) bool {
	return t.width == 0 || t.height == 0 || (width == t.width && height == t.height)
}

// The SFU closes a track with blank frames that clear a player's screen: H.264 2x2
// keyframes (a STAP-A of this SPS, its PPS and an IDR) and Opus silence of 80 bytes.
// Recorded, they would end the video on a tiny frame and the audio on a click.
var (
	blankH264SPS = []byte{
		0x67, 0x42, 0xc0, 0x1f, 0x0f, 0xd9, 0x1f, 0x88,
		0x88, 0x84, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00,
		0x00, 0x03, 0x00, 0xc8, 0x3c, 0x60, 0xc9, 0x20,
	}
	opusSilence = append([]byte{0xf8, 0xff, 0xfe}, make([]byte, 77)...)
)

func isBlankFrame(k kind, payload []byte) bool {
	if k == audio {
		return bytes.Equal(payload, opusSilence)
	}
	// STAP-A (24), then the 2-byte size of its first NAL unit, then that SPS.
	return len(payload) > 3 && payload[0]&0x1f == 24 && bytes.HasPrefix(payload[3:], blankH264SPS)
}

// forwarded is a packet as ffmpeg expects it: the payload type of the SDP, without the
// header extensions and padding that only the SFU and the browser use.
func forwarded(packet *rtp.Packet, payloadType uint8) ([]byte, error) {
	header := packet.Header
	header.PayloadType = payloadType
	header.Padding, header.PaddingSize = false, 0
	header.Extension = false
	header.Extensions = nil
	out := rtp.Packet{Header: header, Payload: packet.Payload}
	return out.Marshal()
}
