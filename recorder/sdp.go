package main

import (
	"fmt"
	"net"
	"os"
	"strings"
)

// The payload types of the SDP ffmpeg reads; forwarded packets carry these, whatever the
// SFU negotiated.
const (
	h264PayloadType = 96
	opusPayloadType = 111
)

// sdp describes the streams of a part to ffmpeg: each on loopback, RTP on its port and
// RTCP on the next one.
func sdp(title string, streams []*stream) string {
	var b strings.Builder
	b.WriteString("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\n")
	fmt.Fprintf(&b, "s=%s\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n", title)
	for _, s := range streams {
		if s.track.kind == video {
			fmt.Fprintf(&b, "m=video %d RTP/AVP %d\r\n", s.port, h264PayloadType)
			fmt.Fprintf(&b, "a=rtpmap:%d H264/90000\r\n", h264PayloadType)
			fmt.Fprintf(&b, "a=fmtp:%d packetization-mode=1\r\n", h264PayloadType)
		} else {
			fmt.Fprintf(&b, "m=audio %d RTP/AVP %d\r\n", s.port, opusPayloadType)
			fmt.Fprintf(&b, "a=rtpmap:%d opus/48000/2\r\n", opusPayloadType)
		}
	}
	return b.String()
}

// freePortPair finds a loopback UDP port whose next port is free too (RTP and RTCP).
// ffmpeg binds them right after; another program taking one meanwhile makes ffmpeg fail,
// which ends the part like any ffmpeg failure.
func freePortPair() (int, error) {
	for range 50 {
		rtpConn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return 0, err
		}
		port := rtpConn.LocalAddr().(*net.UDPAddr).Port
		rtcpConn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port + 1})
		rtpConn.Close()
		if err == nil {
			rtcpConn.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free pair of UDP ports on loopback")
}

// portsBound says whether every one of ports is bound on loopback (ffmpeg listens),
// from the kernel's table of UDP sockets: binding them to find out could take one from
// ffmpeg as it starts.
func portsBound(ports []int) bool {
	table, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return false
	}
	for _, port := range ports {
		// A line per socket: "  12: 0100007F:9C41 00000000:0000 07 ...", the local address
		// second, in hexadecimal (127.0.0.1 reads 0100007F).
		if !strings.Contains(string(table), fmt.Sprintf(": 0100007F:%04X ", port)) {
			return false
		}
	}
	return true
}
