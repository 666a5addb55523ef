package cache

import "downloader/internal/problem"

func problemUnreachable(err error) error {
	return problem.Wrap(problem.UpstreamUnreachable, err, "the upstream is unreachable")
}

func upstreamStatusErr(status int) error {
	p := problem.New(problem.UpstreamHTTP, "the upstream answered %d", status)
	p.UpstreamStatus = status
	return p
}
