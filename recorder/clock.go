package main

import (
	"os"
	"path/filepath"
	"time"

	"github.com/pion/rtcp"
)

// A sender report maps a track's RTP clock to the wall clock (NTP time: seconds since
// 1900 in the upper 32 bits, the fraction of a second in the lower 32). The recorder
// gives ffmpeg one report per track, and takes the part's wall clock from the video's.

// ntpEpoch is 1970-01-01 in NTP seconds.
const ntpEpoch = 2208988800

func ntpTime(ntp uint64) time.Time {
	seconds, fraction := int64(ntp>>32), ntp&0xffffffff
	return time.Unix(seconds-ntpEpoch, int64((fraction*1_000_000_000+1<<31)>>32)).UTC()
}

func toNTP(t time.Time) uint64 {
	nanoseconds := uint64(t.UnixNano()) + ntpEpoch*1_000_000_000
	seconds, rest := nanoseconds/1_000_000_000, nanoseconds%1_000_000_000
	return seconds<<32 | (rest<<32)/1_000_000_000
}

// reportAt moves a sender report along its mapping to rtpTime: the same line between the
// two clocks, anchored at another RTP time (a packet's, a few seconds either side).
func reportAt(report *rtcp.SenderReport, rtpTime, clockRate uint32) *rtcp.SenderReport {
	ticks := int64(int32(rtpTime - report.RTPTime))
	rate := int64(clockRate)
	// Seconds and the rest apart, so that ticks<<32 cannot overflow.
	shift := ticks/rate<<32 + (ticks%rate<<32)/rate
	moved := *report
	moved.RTPTime = rtpTime
	moved.NTPTime = uint64(int64(report.NTPTime) + shift)
	return &moved
}

// reportFromArrival is a sender report made up from when a packet came, for a track whose
// sender gave none.
func reportFromArrival(ssrc, rtpTime uint32, at time.Time) *rtcp.SenderReport {
	return &rtcp.SenderReport{SSRC: ssrc, NTPTime: toNTP(at), RTPTime: rtpTime}
}

// captureTime: the wall-clock time of an RTP timestamp, by a track's sender report.
func captureTime(report *rtcp.SenderReport, rtpTime, clockRate uint32) time.Time {
	return ntpTime(reportAt(report, rtpTime, clockRate).NTPTime)
}

// writeClock writes a part's clock.txt (docs/recording.md, "The spool"): the wall-clock
// time of its first frame, ISO 8601 in UTC with microseconds.
func writeClock(dir string, clock time.Time) error {
	text := clock.UTC().Format("2006-01-02T15:04:05.000000") + "+00:00\n"
	path := filepath.Join(dir, "clock.txt")
	if err := os.WriteFile(path+".tmp", []byte(text), 0o644); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}
