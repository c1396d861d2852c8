# Helpers for the benchmark scripts' summaries (bench/healthcheck.sh, bench/reconfig.sh):
# a "RESULT k=v k=v ..." line into v[], and min / median / max of the values collected
# in vals[key] (space-separated numbers).
function kv(s,   n, i, a, p) { n = split(s, a, " "); for (i = 1; i <= n; i++) { split(a[i], p, "="); v[p[1]] = p[2] } }
function sorted(k, a,   n, i, j, t) { n = split(vals[k], a, " "); for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }; return n }
function med(k,   n, a) { n = sorted(k, a); return a[int((n + 1) / 2)] }
function mmm(k,   n, a) { n = sorted(k, a); return sprintf("%s / %s / %s", a[1], a[int((n + 1) / 2)], a[n]) }
