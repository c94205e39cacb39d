package main

import (
	"context"
	"log"
	"strings"
	"sync"
	"time"
)

// recorder runs one broadcast recording per listed job, each on its own: one that fails
// never stops another.
type recorder struct {
	cfg  config
	site *site

	mu      sync.Mutex
	running map[string]*broadcast // by broadcast id, until its recording has finished
	wg      sync.WaitGroup
}

func newRecorder(cfg config) *recorder {
	return &recorder{cfg: cfg, site: newSite(cfg), running: map[string]*broadcast{}}
}

// run asks the site what to record every poll interval until ctx is done, then waits for
// every recording to close its part.
func (r *recorder) run(ctx context.Context) {
	ticker := time.NewTicker(r.cfg.pollInterval)
	defer ticker.Stop()
	// Errors are said once, not every poll; what runs goes on recording meanwhile.
	var lastError, lastUnusable string
	for {
		jobs, unusable, err := r.site.jobs(ctx)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			if err.Error() != lastError {
				log.Printf("error: asking for jobs: %v", err)
				lastError = err.Error()
			}
		default:
			if lastError != "" {
				log.Printf("asking for jobs works again")
				lastError = ""
			}
			if said := strings.Join(unusable, ", "); said != lastUnusable {
				if said != "" {
					log.Printf("error: the site lists jobs without a usable broadcast id, room, URL or token: %s", said)
				}
				lastUnusable = said
			}
			r.apply(ctx, jobs)
		}
		select {
		case <-ctx.Done():
			r.wg.Wait()
			return
		case <-ticker.C:
		}
	}
}

// apply starts every listed job that is not running and ends every running one that is no
// longer listed (its stream ended).
func (r *recorder) apply(ctx context.Context, jobs []job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	listed := map[string]bool{}
	for _, j := range jobs {
		listed[j.Broadcast] = true
		if b, ok := r.running[j.Broadcast]; ok {
			b.update(j) // a fresh token for the next join
			continue
		}
		b := newBroadcast(j, r.cfg, r.site)
		r.running[j.Broadcast] = b
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			b.run(ctx)
			r.mu.Lock()
			delete(r.running, j.Broadcast)
			r.mu.Unlock()
		}()
	}
	for id, b := range r.running {
		if !listed[id] {
			b.end()
		}
	}
}
