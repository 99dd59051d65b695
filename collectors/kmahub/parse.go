package kmahub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hazardwire/hazardwire/collectors"
)

// columns is the number of columns before ED_TM, the free-text last one that
// may itself hold commas (FORMATS.md §6).
const columns = 9

// hubRow is one data line: REG_UP, REG_UP_KO, REG_ID, REG_KO, TM_FC, TM_EF,
// WRN, LVL, CMD, then ED_TM (해제예고, free text).
type hubRow struct {
	RegUp, RegUpKo, RegID, RegKo string
	TmFc, TmEf                   string
	Wrn, Lvl, Cmd                string
	EdTm                         string
}

// line is one data line of the table: its row, or why it could not be split.
type line struct {
	row *hubRow
	err error
}

// APIError is an error the API Hub answers with HTTP 200: a short JSON
// document instead of the table (an unknown or unauthorized key).
type APIError struct {
	Status  string
	Message string
}

// Error says what the API Hub said, and what to check.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("API Hub error answer")
	if e.Status != "" {
		fmt.Fprintf(&b, " (status %q)", e.Status)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	b.WriteString(" — check auth_key, and that this API is approved (활용신청) for it")
	return b.String()
}

// decodeBody returns the answer as UTF-8. A charset in the Content-Type
// decides when it names EUC-KR; otherwise a body that is valid UTF-8 is
// taken as UTF-8, and one that is not is read as EUC-KR, the API Hub's
// usual encoding, strictly: bytes that are neither are an error, never text.
func decodeBody(body []byte, contentType string) ([]byte, error) {
	charset := ""
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		charset = strings.ToLower(strings.TrimSpace(params["charset"]))
	}
	switch {
	case charset != "" && charset != "utf-8" && charset != "utf8":
		return collectors.DecodeText(body, contentType, "")
	case utf8.Valid(body):
		return collectors.DecodeText(body, "", "")
	}
	out, err := collectors.DecodeText(body, "", "euc-kr")
	if err != nil {
		return nil, fmt.Errorf("body is neither UTF-8 nor EUC-KR: %w", err)
	}
	return out, nil
}

// parseTable reads the table: comment lines start with #, the data between
// #START7777 and #7777END, one line per zone and kind, comma-separated and
// ending with =. It fails on anything that is not such a table (an error
// answer, a truncated one), so that a broken answer never reads as "no
// warning in force".
func parseTable(text []byte) ([]line, error) {
	trimmed := bytes.TrimSpace(text)
	switch {
	case len(trimmed) == 0:
		return nil, errors.New("empty answer")
	case trimmed[0] == '{' || trimmed[0] == '[':
		return nil, jsonError(trimmed)
	case trimmed[0] == '<':
		return nil, fmt.Errorf("an HTML or XML answer, not the warning table: %s", snippet(trimmed))
	}
	var lines []line
	comments, start, end := 0, false, false
	for _, raw := range strings.Split(string(trimmed), "\n") {
		s := strings.TrimSpace(raw)
		switch {
		case s == "":
		case strings.HasPrefix(s, "#"):
			comments++
			start = start || strings.Contains(s, "START7777")
			end = end || strings.Contains(s, "7777END")
		default:
			r, err := splitRow(s)
			if r == nil && err == nil {
				continue // a column header line
			}
			lines = append(lines, line{row: r, err: err})
		}
	}
	switch {
	case comments == 0:
		return nil, fmt.Errorf("not a warning table (no # lines): %s", snippet(trimmed))
	case start && !end:
		return nil, errors.New("truncated answer: #START7777 without #7777END")
	case len(lines) > 0 && !slices.ContainsFunc(lines, func(l line) bool { return l.row != nil }):
		return nil, fmt.Errorf("no line of the table could be read: %w", lines[0].err)
	}
	return lines, nil
}

// splitRow splits a data line into the first nine columns and ED_TM, the
// rest. It returns neither row nor error for a column header line.
func splitRow(s string) (*hubRow, error) {
	s = strings.TrimSpace(strings.TrimSuffix(s, "="))
	cells := strings.SplitN(s, ",", columns+1)
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	if strings.EqualFold(cells[0], "REG_UP") {
		return nil, nil
	}
	if len(cells) < columns {
		return nil, fmt.Errorf("%d columns, want at least %d: %s", len(cells), columns, snippet([]byte(s)))
	}
	r := &hubRow{RegUp: cells[0], RegUpKo: cells[1], RegID: cells[2], RegKo: cells[3], TmFc: cells[4], TmEf: cells[5],
		Wrn: cells[6], Lvl: cells[7], Cmd: cells[8]}
	if len(cells) > columns {
		r.EdTm = strings.TrimSpace(strings.TrimRight(cells[columns], ", ="))
	}
	return r, nil
}

// jsonError reads a JSON answer: the API Hub's error, whatever its exact
// shape. It looks for a status or code and a message in the document and
// the objects inside it.
func jsonError(b []byte) error {
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("a malformed JSON answer, not the warning table: %s", snippet(b))
	}
	e := &APIError{}
	find(doc, e, 0)
	if e.Status == "" && e.Message == "" {
		return fmt.Errorf("a JSON answer, not the warning table: %s", snippet(b))
	}
	return e
}

// find fills e with the first status-like and message-like values in v.
func find(v any, e *APIError, depth int) {
	m, ok := v.(map[string]any)
	if !ok || depth > 3 {
		return
	}
	keys := slices.Sorted(maps.Keys(m))
	for _, k := range keys {
		x := m[k]
		switch strings.ToLower(k) {
		case "status", "code", "resultcode", "result_code", "errcode", "error_code":
			if e.Status == "" {
				e.Status = scalar(x)
			}
		case "message", "msg", "resultmsg", "result_msg", "errmsg", "error_message", "error":
			if e.Message == "" {
				e.Message = scalar(x)
			}
		}
	}
	for _, k := range keys {
		find(m[k], e, depth+1)
	}
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// snippet is the start of a body, on one line, for an error message.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " ")
	if r := []rune(s); len(r) > 120 {
		s = string(r[:120]) + "…"
	}
	return s
}
