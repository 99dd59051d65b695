package kma

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/hazardwire/hazardwire/collectors/internal/kmacode"
)

// bulletin is the text of one announcement (기상특보 통보문) as getWthrWrnMsg
// gives it: every zone and kind it names shares it.
type bulletin struct {
	headline    string // t1 제목
	description string // t2 해당구역, then t4 내용 when there is one
	instruction string // other 참고/유의사항, unless it says there is none
}

// msgItem is one getWthrWrnMsg item (FORMATS.md §5.3).
type msgItem struct {
	StnID flex `json:"stnId"`
	TmFc  flex `json:"tmFc"`
	TmSeq flex `json:"tmSeq"`
	T1    flex `json:"t1"`
	T2    flex `json:"t2"`
	T4    flex `json:"t4"`
	Other flex `json:"other"`
}

// bulletinKey identifies a bulletin, so that a getPwnCd row finds the text
// of the announcement it belongs to.
func bulletinKey(stnID, tmFc string, tmSeq int) string {
	return strings.TrimSpace(stnID) + "/" + strings.TrimSpace(tmFc) + "/" + strconv.Itoa(tmSeq)
}

// readBulletins reads getWthrWrnMsg items by bulletin. An item that cannot
// be read is left out (its rows then go without text), and problems says why.
func readBulletins(items []json.RawMessage) (map[string]bulletin, []error) {
	out := map[string]bulletin{}
	var problems []error
	for i, raw := range items {
		var m msgItem
		if err := json.Unmarshal(raw, &m); err != nil {
			problems = append(problems, fmt.Errorf("bulletin %d: %w", i, err))
			continue
		}
		seq, err := kmacode.ParseInt(string(m.TmSeq))
		if err != nil {
			problems = append(problems, fmt.Errorf("bulletin %d: tmSeq %q: %w", i, m.TmSeq, err))
			continue
		}
		var desc []string
		for _, t := range []flex{m.T2, m.T4} {
			if s := kmacode.CleanText(string(t)); s != "" {
				desc = append(desc, s)
			}
		}
		out[bulletinKey(string(m.StnID), string(m.TmFc), seq)] = bulletin{
			headline:    kmacode.CleanText(string(m.T1)),
			description: strings.Join(desc, "\n\n"),
			instruction: orNone(kmacode.CleanText(string(m.Other))),
		}
	}
	return out, problems
}

// orNone returns s, or "" when it only says "o 없음" (none).
func orNone(s string) string {
	compact := strings.Join(strings.Fields(s), "")
	if compact == "없음" || compact == "o없음" || compact == "○없음" {
		return ""
	}
	return s
}
