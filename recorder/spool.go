package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The spool (docs/recording.md): <spool>/<broadcast>/part-NNN/index.m3u8, init.mp4,
// seg-NNNNN.m4s.

// nextPart creates the folder of the broadcast's next part: one number above the highest
// there, so that no part is ever written over.
func nextPart(broadcastDir string) (int, string, error) {
	if err := os.MkdirAll(broadcastDir, 0o755); err != nil {
		return 0, "", err
	}
	number := 1
	for _, dir := range partDirs(broadcastDir) {
		if n := partNumber(dir); n >= number {
			number = n + 1
		}
	}
	for ; ; number++ {
		dir := filepath.Join(broadcastDir, fmt.Sprintf("part-%03d", number))
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return number, dir, nil
		}
		if !os.IsExist(err) {
			return 0, "", err
		}
	}
}

func partDirs(broadcastDir string) []string {
	dirs, _ := filepath.Glob(filepath.Join(broadcastDir, "part-[0-9]*"))
	return dirs
}

func partNumber(dir string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(dir), "part-"))
	if err != nil {
		return 0
	}
	return n
}

// readPlaylist: how many segments an HLS playlist lists, their duration, and whether it
// has ended (#EXT-X-ENDLIST). A missing playlist has no segments.
func readPlaylist(path string) (segments int, seconds float64, ended bool) {
	file, err := os.Open(path)
	if err != nil {
		return 0, 0, false
	}
	defer file.Close()
	lines := bufio.NewScanner(file)
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		switch {
		case strings.HasPrefix(line, "#EXTINF:"):
			duration, _, _ := strings.Cut(strings.TrimPrefix(line, "#EXTINF:"), ",")
			value, _ := strconv.ParseFloat(duration, 64)
			seconds += value
		case line == "#EXT-X-ENDLIST":
			ended = true
		case line != "" && !strings.HasPrefix(line, "#"):
			segments++
		}
	}
	return segments, seconds, ended
}

// endPlaylist appends #EXT-X-ENDLIST, for a part whose ffmpeg could not write it (killed,
// or a recorder that died).
func endPlaylist(path string) error {
	file, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := file.WriteString("#EXT-X-ENDLIST\n"); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

// closeLeftoverParts ends the playlists a recorder that died left open, and says whether
// any part of the broadcast has segments.
func closeLeftoverParts(broadcastDir string, logf func(string, ...any)) (recorded bool) {
	for _, dir := range partDirs(broadcastDir) {
		playlist := filepath.Join(dir, "index.m3u8")
		segments, _, ended := readPlaylist(playlist)
		if segments > 0 {
			recorded = true
		}
		if segments > 0 && !ended {
			if err := endPlaylist(playlist); err != nil {
				logf("error: closing %s: %v", playlist, err)
			} else {
				logf("closed %s, left open by an earlier run", playlist)
			}
		}
	}
	return recorded
}
