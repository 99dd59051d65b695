//go:build !unix

package bench

import (
	"context"
	"errors"
)

func runPeer(context.Context, Options, Peer, int, int) (PeerResult, error) {
	return PeerResult{}, errors.New("the peer scenario runs on unix systems only (process groups, /proc)")
}
