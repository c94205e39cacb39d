package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/livekit/protocol/auth"
)

// A job of GET /api/recorder/jobs: a broadcast to record, and how to join its room.
type job struct {
	Broadcast string `json:"broadcast"`
	Room      string `json:"room"`
	WSURL     string `json:"ws_url"`
	Token     string `json:"token"`
}

// The body of POST /api/recorder/broadcasts/<id>/state.
type stateReport struct {
	State  string `json:"state"` // "recording", "processing" or "failed"
	Reason string `json:"reason,omitempty"`
	Part   int    `json:"part,omitempty"`
}

// A broadcast id names a folder of the spool: nothing but letters, digits, - and _.
var broadcastID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// errRefused is a 4xx answer: sending the same request again would not help.
var errRefused = errors.New("refused")

// site is the site's API for the recorder; each request carries a fresh token.
type site struct {
	url, apiKey, apiSecret string
	http                   *http.Client
}

func newSite(cfg config) *site {
	return &site{cfg.siteURL, cfg.apiKey, cfg.apiSecret, &http.Client{Timeout: 10 * time.Second}}
}

// jobs asks what should be recorded now; unusable says which listed jobs lack something
// (they are left out: the others are recorded).
func (s *site) jobs(ctx context.Context) (jobs []job, unusable []string, err error) {
	var answer struct {
		Jobs []job `json:"jobs"`
	}
	if err := s.do(ctx, http.MethodGet, "/api/recorder/jobs", nil, &answer); err != nil {
		return nil, nil, err
	}
	for _, j := range answer.Jobs {
		if !broadcastID.MatchString(j.Broadcast) || j.Room == "" || j.WSURL == "" || j.Token == "" {
			unusable = append(unusable, fmt.Sprintf("%q", j.Broadcast))
			continue
		}
		jobs = append(jobs, j)
	}
	return jobs, unusable, nil
}

// report tells the site what became of a broadcast's recording.
func (s *site) report(ctx context.Context, broadcast string, report stateReport) error {
	body, err := json.Marshal(report)
	if err != nil {
		return err
	}
	return s.do(ctx, http.MethodPost, "/api/recorder/broadcasts/"+broadcast+"/state", body, nil)
}

func (s *site) do(ctx context.Context, method, path string, body []byte, answer any) error {
	// The shape of a LiveKit access token: HS256, iss = the API key, sub = "recorder".
	token, err := auth.NewAccessToken(s.apiKey, s.apiSecret).
		SetIdentity("recorder").
		SetValidFor(4 * time.Minute).
		ToJWT()
	if err != nil {
		return err
	}
	request, err := http.NewRequestWithContext(ctx, method, s.url+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	request.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		request.Header.Set("Content-Type", "application/json")
	}
	response, err := s.http.Do(request)
	if err != nil {
		return err
	}
	defer response.Body.Close()
	content, err := io.ReadAll(io.LimitReader(response.Body, 1<<20))
	if err != nil {
		return err
	}
	if response.StatusCode != http.StatusOK {
		var problem struct {
			Code   string `json:"code"`
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(content, &problem)
		err := fmt.Errorf("%s %s answered %d %s %s", method, path, response.StatusCode, problem.Code, problem.Detail)
		if response.StatusCode >= 400 && response.StatusCode < 500 {
			err = fmt.Errorf("%w: %w", errRefused, err)
		}
		return err
	}
	if answer != nil {
		if err := json.Unmarshal(content, answer); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}
