package hrfco

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hazardwire/hazardwire/alert"
)

// stage is one threshold level of a water-level station, lowest first.
type stage struct {
	field    string // the info field holding its level
	name     string // its Korean name, used in the derived event
	severity alert.Severity
}

// stages are the four thresholds of waterlevel/info. The names are the
// national crisis levels (관심/주의/경계/심각), not the flood forecast names
// 주의보/경보, so that a derived alert is never mistaken for an official one.
var stages = [4]stage{
	{"attwl", "관심", alert.SeverityMinor},
	{"wrnwl", "주의", alert.SeverityModerate},
	{"almwl", "경계", alert.SeveritySevere},
	{"srswl", "심각", alert.SeverityExtreme},
}

// infoRow is one station of waterlevel/info (FORMATS.md §8).
type infoRow struct {
	Wlobscd str `json:"wlobscd"` // 관측소코드
	Agcnm   str `json:"agcnm"`   // 관할기관
	Obsnm   str `json:"obsnm"`   // 관측소명
	Addr    str `json:"addr"`
	Etcaddr str `json:"etcaddr"`
	Lat     str `json:"lat"` // "37-30-55" (DMS)
	Lon     str `json:"lon"` // "127-05-55"
	Gdt     str `json:"gdt"` // 영점표고: the gauge datum (EL.m)
	Attwl   str `json:"attwl"`
	Wrnwl   str `json:"wrnwl"`
	Almwl   str `json:"almwl"`
	Srswl   str `json:"srswl"`
	Pfh     str `json:"pfh"`    // 계획홍수위
	Fstnyn  str `json:"fstnyn"` // 특보지점 Y/N
}

// station is what the collector keeps of one station.
type station struct {
	code, name, agency, addr string
	pos                      alert.Circle
	hasPos                   bool
	// level holds each stage's threshold in millimetres; set says which
	// stages have one (blank or zero thresholds are not set).
	level [4]int64
	set   [4]bool
	// info holds the raw values worth passing on as parameters.
	info [][2]string
	// problem says why the station's thresholds cannot be read: its levels
	// are then dropped as invalid rather than compared with half of them.
	problem error
}

// parseStations reads the rows of waterlevel/info, by station code. Rows
// without a code are skipped; a station whose position cannot be read keeps
// its thresholds and loses its circle.
func parseStations(raws []json.RawMessage) (map[string]station, error) {
	out := make(map[string]station, len(raws))
	for _, raw := range raws {
		var r infoRow
		if json.Unmarshal(raw, &r) != nil || r.Wlobscd == "" {
			continue
		}
		out[string(r.Wlobscd)] = newStation(&r)
	}
	if len(out) == 0 {
		return nil, errors.New("the station list (waterlevel/info) holds no station")
	}
	return out, nil
}

func newStation(r *infoRow) station {
	st := station{
		code:   string(r.Wlobscd),
		name:   string(r.Obsnm),
		agency: string(r.Agcnm),
		addr:   join(" ", string(r.Addr), string(r.Etcaddr)),
		info: [][2]string{{"agcnm", string(r.Agcnm)}, {"gdt", string(r.Gdt)}, {"pfh", string(r.Pfh)},
			{"fstnyn", string(r.Fstnyn)}},
	}
	if st.name == "" {
		st.name = st.code
	}
	if pos, ok, err := position(r.Lat, r.Lon); err == nil && ok {
		st.pos, st.hasPos = pos, true
	}
	var errs []error
	for i, v := range []str{r.Attwl, r.Wrnwl, r.Almwl, r.Srswl} {
		x, ok, err := number(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", stages[i].field, err))
			continue
		}
		st.info = append(st.info, [2]string{stages[i].field, string(v)})
		// A zero threshold is a placeholder, not a level: every reading would
		// be at or above it.
		if ok && x > 0 {
			st.level[i], st.set[i] = mm(x), true
		}
	}
	st.problem = errors.Join(errs...)
	return st
}

// mm converts metres to whole millimetres, so that comparisons with a
// threshold and its hysteresis band are exact.
func mm(m float64) int64 {
	if m < 0 {
		return -int64(-m*1000 + 0.5)
	}
	return int64(m*1000 + 0.5)
}
