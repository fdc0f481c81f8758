// Package metrics defines Jalon's Prometheus metrics: requests by GraphQL
// operation, e-mails sent and failed, database pool statistics, and the Go
// runtime.
package metrics

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are one process's collectors, on their own registry (so tests can
// build several servers in one process).
type Metrics struct {
	Registry *prometheus.Registry
	Requests *prometheus.CounterVec
	Duration *prometheus.HistogramVec
	// MailSent counts mails the SMTP server accepted, by notification kind
	// (DIGEST for digests); MailFailed counts failed attempts by kind and
	// reason: "temporary" (4xx, connection: retried), "bounced" (5xx for the
	// address: it is mailed no more until it changes) or "rejected" (another
	// 5xx: not retried).
	MailSent   *prometheus.CounterVec
	MailFailed *prometheus.CounterVec
}

// New registers the collectors; pool may be nil.
func New(pool *pgxpool.Pool) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jalon_http_requests_total",
			Help: "HTTP requests by GraphQL operation (or route) and status code.",
		}, []string{"operation", "status"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jalon_http_request_duration_seconds",
			Help:    "HTTP request latency by GraphQL operation (or route).",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation"}),
		MailSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jalon_mail_sent_total",
			Help: "E-mails accepted by the SMTP server, by notification kind (DIGEST for digests).",
		}, []string{"kind"}),
		MailFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jalon_mail_failed_total",
			Help: "Failed e-mail attempts by kind and reason (temporary, bounced, rejected).",
		}, []string{"kind", "reason"}),
	}
	reg.MustRegister(m.Requests, m.Duration, m.MailSent, m.MailFailed,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if pool != nil {
		reg.MustRegister(poolCollector{pool})
	}
	return m
}

var (
	poolTotal    = prometheus.NewDesc("jalon_db_pool_connections", "Connections in the pool by state.", []string{"state"}, nil)
	poolMax      = prometheus.NewDesc("jalon_db_pool_max_connections", "Maximum size of the pool.", nil, nil)
	poolAcquires = prometheus.NewDesc("jalon_db_pool_acquires_total", "Successful connection acquisitions.", nil, nil)
	poolWaits    = prometheus.NewDesc("jalon_db_pool_empty_acquires_total", "Acquisitions that had to wait for a connection.", nil, nil)
	poolWaitTime = prometheus.NewDesc("jalon_db_pool_acquire_wait_seconds_total", "Time spent waiting for a connection.", nil, nil)
)

// poolCollector reads pgxpool's statistics at scrape time.
type poolCollector struct{ pool *pgxpool.Pool }

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolTotal
	ch <- poolMax
	ch <- poolAcquires
	ch <- poolWaits
	ch <- poolWaitTime
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolTotal, prometheus.GaugeValue, float64(s.AcquiredConns()), "acquired")
	ch <- prometheus.MustNewConstMetric(poolTotal, prometheus.GaugeValue, float64(s.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(poolTotal, prometheus.GaugeValue, float64(s.ConstructingConns()), "constructing")
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(poolAcquires, prometheus.CounterValue, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWaitTime, prometheus.CounterValue, s.AcquireDuration().Seconds())
}
