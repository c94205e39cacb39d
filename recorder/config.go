package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// config is the recorder's environment (docs/recording.md, "The recorder's configuration").
type config struct {
	siteURL      string        // RECORDER_SITE_URL
	apiKey       string        // LIVEKIT_API_KEY: the issuer of the tokens sent to the site
	apiSecret    string        // LIVEKIT_API_SECRET: signs them
	spoolDir     string        // RECORDINGS_SPOOL_DIR
	ffmpeg       string        // RECORDER_FFMPEG, default ffmpeg on PATH
	pollInterval time.Duration // RECORDER_POLL_SECONDS, default 1
}

func configFromEnv() (config, error) {
	cfg := config{
		siteURL:      strings.TrimRight(os.Getenv("RECORDER_SITE_URL"), "/"),
		apiKey:       os.Getenv("LIVEKIT_API_KEY"),
		apiSecret:    os.Getenv("LIVEKIT_API_SECRET"),
		spoolDir:     os.Getenv("RECORDINGS_SPOOL_DIR"),
		ffmpeg:       os.Getenv("RECORDER_FFMPEG"),
		pollInterval: time.Second,
	}
	var missing []string
	for name, value := range map[string]string{
		"RECORDER_SITE_URL":    cfg.siteURL,
		"LIVEKIT_API_KEY":      cfg.apiKey,
		"LIVEKIT_API_SECRET":   cfg.apiSecret,
		"RECORDINGS_SPOOL_DIR": cfg.spoolDir,
	} {
		if value == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return cfg, fmt.Errorf("%s not set", strings.Join(missing, ", "))
	}
	if seconds := os.Getenv("RECORDER_POLL_SECONDS"); seconds != "" {
		value, err := strconv.ParseFloat(seconds, 64)
		if err != nil || value <= 0 {
			return cfg, errors.New("RECORDER_POLL_SECONDS must be a number of seconds above 0")
		}
		cfg.pollInterval = time.Duration(value * float64(time.Second))
	}
	if cfg.ffmpeg == "" {
		cfg.ffmpeg = "ffmpeg"
	}
	ffmpeg, err := exec.LookPath(cfg.ffmpeg)
	if err != nil {
		return cfg, fmt.Errorf("ffmpeg not found (RECORDER_FFMPEG=%q): %w", cfg.ffmpeg, err)
	}
	cfg.ffmpeg = ffmpeg
	if cfg.spoolDir, err = filepath.Abs(cfg.spoolDir); err != nil {
		return cfg, err
	}
	if err := os.MkdirAll(cfg.spoolDir, 0o755); err != nil {
		return cfg, fmt.Errorf("RECORDINGS_SPOOL_DIR: %w", err)
	}
	return cfg, nil
}
