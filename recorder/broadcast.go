package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
)

const (
	// Joining the room again after losing it, or asking LiveKit again after an error:
	// after this pause, doubled each time up to the maximum.
	rejoinFirstPause = 500 * time.Millisecond
	rejoinMaxPause   = 30 * time.Second
	// How often it asks LiveKit whether a room it waits for exists.
	roomCheckInterval = 500 * time.Millisecond
	// After ffmpeg failed, the next part waits this long.
	partRetryPause = 5 * time.Second
	// A state report is tried this many times (1, 2, 4, 8 s apart).
	reportAttempts = 5
)

// broadcast records one broadcast while the site lists its job: it stays in the room as
// a hidden subscriber, and records a part for each set of tracks (a new part when tracks
// end and come back, after a reconnection, or after a restart of the recorder).
type broadcast struct {
	id   string
	cfg  config
	site *site
	dir  string // its folder of the spool
	logf func(string, ...any)

	mu  sync.Mutex
	job job // as last listed: a fresh token for the next join

	events  chan any      // trackEvent, leftRoom, partEvent
	done    chan struct{} // closed when run returns
	ended   chan struct{} // closed when the job is no longer listed
	endOnce sync.Once
	reports chan stateReport
}

// A track was subscribed, or ended.
type trackEvent struct {
	session *lksdk.Room
	track   *track
	ended   bool
}

// The room was left, or lost.
type leftRoom struct {
	session *lksdk.Room
}

func newBroadcast(j job, cfg config, site *site) *broadcast {
	return &broadcast{
		id: j.Broadcast, cfg: cfg, site: site, job: j,
		dir:     filepath.Join(cfg.spoolDir, j.Broadcast),
		logf:    logger(j.Broadcast),
		events:  make(chan any, 64),
		done:    make(chan struct{}),
		ended:   make(chan struct{}),
		reports: make(chan stateReport, 16),
	}
}

func (b *broadcast) update(j job) {
	b.mu.Lock()
	b.job = j
	b.mu.Unlock()
}

// end: the job is no longer listed, the stream ended.
func (b *broadcast) end() {
	b.endOnce.Do(func() { close(b.ended) })
}

func (b *broadcast) notify(event any) {
	select {
	case b.events <- event:
	case <-b.done:
	}
}

// run records until the job ends (then tells the site) or ctx is done (the recorder
// stops: the broadcast is still live, nothing is told).
func (b *broadcast) run(ctx context.Context) {
	defer close(b.done)
	b.logf("job started (room %s)", b.job.Room)
	reporterDone := make(chan struct{})
	go b.reporter(reporterDone)
	closeLeftoverParts(b.dir, b.logf)

	var (
		room       *lksdk.Room // nil while out of the room
		tracks     []*track    // the tracks of the room, in the order they came
		current    *part
		failed     bool
		joinAt     = time.Now() // zero: stay out
		waiting    bool         // for the room to exist
		pause      = rejoinFirstPause
		retryAfter time.Time
	)
	closePart := func() {
		if current != nil {
			current.close()
			current = nil
		}
	}
	leave := func() {
		closePart()
		if room != nil {
			room.Disconnect()
			room, tracks = nil, nil
		}
	}
	// A part over the first video and the first audio track there are.
	startPart := func() {
		current = newPart(b.dir, b.cfg.ffmpeg, b.logf, func(e partEvent) { b.notify(e) })
		for _, t := range tracks {
			current.attach(t)
		}
	}

	// maintain joins the room when it should, starts a part when there are tracks and no
	// part, and keeps the part going. It runs at once, after every event, and a few times
	// a second: nothing on the way to the first segment waits for the next tick.
	maintain := func() {
		if room == nil && !joinAt.IsZero() && !time.Now().Before(joinAt) {
			exists, err := b.roomExists()
			switch {
			case err != nil:
				b.logf("error: asking LiveKit about the room: %v (again in %s)", err, pause)
				joinAt = time.Now().Add(pause)
				pause = min(2*pause, rejoinMaxPause)
			case !exists:
				if !waiting {
					b.logf("waiting for the room to exist")
					waiting = true
				}
				joinAt = time.Now().Add(roomCheckInterval)
			default:
				waiting = false
				if room, err = b.join(); err != nil {
					b.logf("error: joining the room: %v (again in %s)", err, pause)
					joinAt = time.Now().Add(pause)
					pause = min(2*pause, rejoinMaxPause)
				}
			}
		}
		if current == nil && len(tracks) > 0 && !time.Now().Before(retryAfter) {
			startPart()
		}
		if current != nil {
			current.tick()
		}
	}

	ticker := time.NewTicker(250 * time.Millisecond)
	defer ticker.Stop()
	for maintain(); ; maintain() {
		select {
		case <-ctx.Done():
			leave()
			close(b.reports)
			b.logf("job left as it is: the recorder stops")
			return

		case <-b.ended:
			leave()
			if !failed {
				if closeLeftoverParts(b.dir, b.logf) {
					b.reports <- stateReport{State: "processing"}
				} else {
					b.reports <- stateReport{State: "failed", Reason: "The stream ended before anything could be recorded."}
				}
			}
			close(b.reports)
			select {
			case <-reporterDone:
			case <-ctx.Done():
			}
			b.logf("job finished")
			return

		case event := <-b.events:
			switch e := event.(type) {
			case trackEvent:
				if e.session != room {
					continue
				}
				if e.ended {
					tracks = without(tracks, e.track)
					if current != nil && e.track.sink.Load() == current {
						b.logf("%s ended", e.track)
						closePart()
					}
					continue
				}
				if reason := unrecordable(e.track); reason != "" {
					if e.track.kind == audio {
						b.logf("%s: %s", e.track, reason)
						continue
					}
					// A recording without its picture is not what viewers expect of a past
					// broadcast: the site is told the recording failed, and nothing more is
					// recorded of this broadcast.
					b.logf("error: %s", reason)
					failed, joinAt = true, time.Time{}
					leave()
					b.reports <- stateReport{State: "failed", Reason: reason}
					continue
				}
				tracks = append(tracks, e.track)
				switch {
				case current == nil:
				case current.attach(e.track):
				case !current.has(e.track.kind): // the part began without this kind
					closePart()
				}

			case leftRoom:
				if e.session != room {
					continue
				}
				closePart()
				room, tracks = nil, nil
				switch reason := e.session.DisconnectReason(); reason {
				case livekit.DisconnectReason_PARTICIPANT_REMOVED, livekit.DisconnectReason_DUPLICATE_IDENTITY:
					b.logf("error: put out of the room (%s): not joining again", reason)
					joinAt = time.Time{}
				case livekit.DisconnectReason_ROOM_CLOSED, livekit.DisconnectReason_ROOM_DELETED:
					// The stream is over (the job goes soon), unless the room comes back.
					b.logf("left the room (%s)", reason)
					joinAt = time.Now().Add(roomCheckInterval)
				default:
					b.logf("lost the room (%s): joining again in %s", reason, pause)
					joinAt = time.Now().Add(pause)
					pause = min(2*pause, rejoinMaxPause)
				}

			case partEvent:
				if e.part != current {
					continue
				}
				if e.firstSegment {
					b.reports <- stateReport{State: "recording", Part: e.part.number}
					pause = rejoinFirstPause
				}
				if e.failed != nil {
					b.logf("error: part %d: %v", e.part.number, e.failed)
					closePart()
					retryAfter = time.Now().Add(partRetryPause)
				}
			}

		case <-ticker.C:
		}
	}
}

// roomExists asks LiveKit whether the job's room exists: joining a room that does not
// would create it (an empty room, with its webhooks, that no stream uses).
func (b *broadcast) roomExists() (bool, error) {
	b.mu.Lock()
	j := b.job
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rooms := lksdk.NewRoomServiceClient(j.WSURL, b.cfg.apiKey, b.cfg.apiSecret)
	found, err := rooms.ListRooms(ctx, &livekit.ListRoomsRequest{Names: []string{j.Room}})
	if err != nil {
		return false, err
	}
	return len(found.Rooms) > 0, nil
}

// join enters the room with the job's token, subscribing to every track.
func (b *broadcast) join() (*lksdk.Room, error) {
	b.mu.Lock()
	j := b.job
	b.mu.Unlock()
	var room *lksdk.Room
	callback := lksdk.NewRoomCallback()
	callback.OnTrackSubscribed = func(remote *webrtc.TrackRemote, publication *lksdk.RemoteTrackPublication, participant *lksdk.RemoteParticipant) {
		t := newTrack(remote, publication, participant)
		t.listen()
		if t.kind == video {
			// The best layer, from a keyframe asked for now: a part begins there.
			_ = publication.SetVideoQuality(livekit.VideoQuality_HIGH)
			t.requestKeyframe()
		}
		b.logf("subscribed to %s (%s)", t, t.mimeType())
		b.notify(trackEvent{session: room, track: t})
		go func() {
			t.read()
			b.notify(trackEvent{session: room, track: t, ended: true})
		}()
	}
	callback.OnDisconnected = func() { b.notify(leftRoom{session: room}) }
	room = lksdk.NewRoom(callback)
	began := time.Now()
	if err := room.JoinWithToken(j.WSURL, j.Token, lksdk.WithAutoSubscribe(true)); err != nil {
		return nil, err
	}
	b.logf("joined the room (%d ms)", time.Since(began).Milliseconds())
	return room, nil
}

// unrecordable says why a track cannot be recorded ("" when it can).
func unrecordable(t *track) string {
	mimeType := t.mimeType()
	switch {
	case t.kind == video && mimeType == strings.ToLower(webrtc.MimeTypeVP8):
		return "VP8 video from WHIP is not recorded"
	case t.kind == video && mimeType != strings.ToLower(webrtc.MimeTypeH264):
		return fmt.Sprintf("%s video is not recorded", mimeType)
	case t.kind == audio && mimeType != strings.ToLower(webrtc.MimeTypeOpus):
		return fmt.Sprintf("%s audio is not recorded", mimeType)
	}
	return ""
}

func without(tracks []*track, gone *track) []*track {
	var kept []*track
	for _, t := range tracks {
		if t != gone {
			kept = append(kept, t)
		}
	}
	return kept
}

// reporter sends the state reports in order, each tried a few times.
func (b *broadcast) reporter(done chan<- struct{}) {
	defer close(done)
	for report := range b.reports {
		what := report.State
		if report.Part > 0 {
			what += fmt.Sprintf(" (part %d)", report.Part)
		}
		for attempt := 1; ; attempt++ {
			err := b.site.report(context.Background(), b.id, report)
			if err == nil {
				b.logf("reported %s", what)
				break
			}
			if errors.Is(err, errRefused) || attempt == reportAttempts {
				b.logf("error: reporting %s: %v", what, err)
				break
			}
			time.Sleep(time.Duration(1<<(attempt-1)) * time.Second)
		}
	}
}
