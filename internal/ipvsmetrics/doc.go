// Package ipvsmetrics exports the kernel's IPVS table as Prometheus metrics.
package ipvsmetrics
