// The recorder: a hidden, subscribe-only LiveKit participant that records the broadcasts
// the site lists, as HLS (fMP4) in the spool, without decoding anything. How it and the
// site work together is docs/recording.md.
//
// For each broadcast it joins the room, takes the H.264 video (the best layer) and the
// Opus audio as RTP, and forwards them to an ffmpeg child over loopback UDP, described by
// an SDP file; ffmpeg copies them into HLS segments.
package main

import (
	"context"
	"log"
	"os/signal"
	"syscall"

	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix("recorder: ")
	cfg, err := configFromEnv()
	if err != nil {
		log.Fatalf("error: %v", err)
	}
	// The recorder says what matters, a line each; the SDK (and pion under it) would add
	// a dozen lines with stack traces to each reconnection.
	lksdk.SetLogger(protologger.GetDiscardLogger())

	// SIGTERM or SIGINT: every part is closed (its playlist ends), then the recorder exits.
	// The broadcasts stay live: a recorder started again goes on with the next part.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log.Printf("started: asking %s what to record every %s, writing to %s", cfg.siteURL, cfg.pollInterval, cfg.spoolDir)
	newRecorder(cfg).run(ctx)
	log.Printf("stopped")
}
