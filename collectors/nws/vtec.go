package nws

import (
	"strings"
	"unicode"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// vtec is one P-VTEC string (NWS Directive 10-1703):
// /k.aaa.cccc.pp.s.####.yymmddThhnnZB-yymmddThhnnZE/.
type vtec struct {
	class        string // O operational, T test, E experimental, X experimental VTEC
	action       string // NEW, CON, EXT, EXA, EXB, UPG, CAN, EXP, COR, ROU
	office       string // issuing office, e.g. KTFX
	phenomenon   string // e.g. FF (flash flood), HT (heat)
	significance string // W warning, A watch, Y advisory, S statement, ...
	etn          string // event tracking number, four digits
	begin, end   string // yymmddThhnnZ; 000000T0000Z when not given
}

// event returns the VTEC event, the native key of every message about one
// hazard: office.phenomenon.significance.etn (e.g. "KTFX.FF.A.0003").
func (v vtec) event() string {
	return v.office + "." + v.phenomenon + "." + v.significance + "." + v.etn
}

// String returns the P-VTEC string as NWS writes it, slashes included.
func (v vtec) String() string {
	return "/" + v.class + "." + v.action + "." + v.office + "." + v.phenomenon + "." + v.significance + "." +
		v.etn + "." + v.begin + "-" + v.end + "/"
}

// pvtecShape is the shape of one P-VTEC string without its slashes, a class
// per byte: C a class (O, T, E or X), A a letter, X a letter or a digit, 9
// a digit; any other byte stands for itself. H-VTEC strings
// (/nwsli.s.ic.yymmddThhnnZ.yymmddThhnnZ.yymmddThhnnZ.fr/) do not match.
const pvtecShape = "C.AAA.XXXX.AA.A.9999.999999T9999Z-999999T9999Z"

// pvtecOf reads tok, upper case, as a P-VTEC string without its slashes.
// It is a hand-written match of pvtecShape: this runs for every feature,
// and a regular expression cost more than the rest of the VTEC handling.
func pvtecOf(tok string) (vtec, bool) {
	if len(tok) != len(pvtecShape) {
		return vtec{}, false
	}
	for i := range len(tok) {
		c := tok[i]
		var ok bool
		switch pvtecShape[i] {
		case 'C':
			ok = c == 'O' || c == 'T' || c == 'E' || c == 'X'
		case 'A':
			ok = 'A' <= c && c <= 'Z'
		case 'X':
			ok = 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		case '9':
			ok = '0' <= c && c <= '9'
		default:
			ok = c == pvtecShape[i]
		}
		if !ok {
			return vtec{}, false
		}
	}
	return vtec{class: tok[0:1], action: tok[2:5], office: tok[6:10], phenomenon: tok[11:13],
		significance: tok[14:15], etn: tok[16:20], begin: tok[21:33], end: tok[34:46]}, true
}

// parseVTEC returns the P-VTEC strings found in values, in order. A value may
// hold several strings, spaces or surrounding text; anything that is not a
// P-VTEC string (H-VTEC included) is skipped.
func parseVTEC(values []string) []vtec {
	var out []vtec
	for _, s := range values {
		for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return r == '/' || unicode.IsSpace(r) }) {
			if v, ok := pvtecOf(strings.ToUpper(tok)); ok {
				out = append(out, v)
			}
		}
	}
	return out
}

// actionIntent maps VTEC actions to what the agency said about the event.
// UPG ends the old event: the product it was upgraded to comes as its own NEW.
var actionIntent = map[string]collectors.Intent{
	"NEW": collectors.IntentActive, // new event
	"CON": collectors.IntentActive, // continued
	"EXT": collectors.IntentActive, // extended in time
	"EXA": collectors.IntentActive, // extended in area
	"EXB": collectors.IntentActive, // extended in time and area
	"COR": collectors.IntentActive, // correction
	"ROU": collectors.IntentActive, // routine
	"CAN": collectors.IntentCancel, // cancelled
	"UPG": collectors.IntentCancel, // upgraded: the old event ends
	"EXP": collectors.IntentExpire, // expired
}

// phenomenonHazard maps VTEC phenomena to hazards.
var phenomenonHazard = map[string]alert.Hazard{
	"FA": alert.HazardFlood, // areal flood
	"FF": alert.HazardFlood, // flash flood
	"FL": alert.HazardFlood, // river flood
	"CF": alert.HazardFlood, // coastal flood
	"LS": alert.HazardFlood, // lakeshore flood
	"HY": alert.HazardFlood, // hydrologic
	"HT": alert.HazardHeat,  // heat (advisory)
	"EH": alert.HazardHeat,  // excessive heat (before March 2025)
	"XH": alert.HazardHeat,  // extreme heat (the 2025 name of EH)
}

// productNames are the event names of the flood and heat VTEC products
// (phenomenon.significance). A feature that carries several P-VTEC strings
// speaks of several products, of which its event names only one: an
// upgrade's cancel of a Flood Advisory must not read "Flash Flood Warning".
var productNames = map[string]string{
	"FA.A": "Flood Watch", "FA.W": "Flood Warning", "FA.Y": "Flood Advisory",
	"FF.A": "Flash Flood Watch", "FF.W": "Flash Flood Warning", "FF.S": "Flash Flood Statement",
	"FL.A": "Flood Watch", "FL.W": "Flood Warning", "FL.Y": "Flood Advisory", "FL.S": "Flood Statement",
	"CF.A": "Coastal Flood Watch", "CF.W": "Coastal Flood Warning", "CF.Y": "Coastal Flood Advisory", "CF.S": "Coastal Flood Statement",
	"LS.A": "Lakeshore Flood Watch", "LS.W": "Lakeshore Flood Warning", "LS.Y": "Lakeshore Flood Advisory", "LS.S": "Lakeshore Flood Statement",
	"HY.O": "Hydrologic Outlook", "HY.Y": "Hydrologic Advisory",
	"HT.Y": "Heat Advisory",
	"EH.A": "Excessive Heat Watch", "EH.W": "Excessive Heat Warning",
	"XH.A": "Extreme Heat Watch", "XH.W": "Extreme Heat Warning",
}

// builtinEvents maps the NWS event names of flood and heat products, lower
// case, for features without VTEC (FORMATS.md §2.4). Names are matched
// exactly, case aside: no substring guessing.
var builtinEvents = map[string]alert.Hazard{
	"flood warning":                          alert.HazardFlood,
	"flood watch":                            alert.HazardFlood,
	"flood advisory":                         alert.HazardFlood,
	"flood statement":                        alert.HazardFlood,
	"flash flood warning":                    alert.HazardFlood,
	"flash flood watch":                      alert.HazardFlood,
	"flash flood statement":                  alert.HazardFlood,
	"coastal flood warning":                  alert.HazardFlood,
	"coastal flood watch":                    alert.HazardFlood,
	"coastal flood advisory":                 alert.HazardFlood,
	"coastal flood statement":                alert.HazardFlood,
	"lakeshore flood warning":                alert.HazardFlood,
	"lakeshore flood watch":                  alert.HazardFlood,
	"lakeshore flood advisory":               alert.HazardFlood,
	"lakeshore flood statement":              alert.HazardFlood,
	"hydrologic outlook":                     alert.HazardFlood,
	"hydrologic advisory":                    alert.HazardFlood,
	"arroyo and small stream flood advisory": alert.HazardFlood,
	"urban and small stream flood advisory":  alert.HazardFlood,
	"heat advisory":                          alert.HazardHeat,
	"excessive heat watch":                   alert.HazardHeat, // before March 2025
	"excessive heat warning":                 alert.HazardHeat,
	"extreme heat watch":                     alert.HazardHeat, // March 2025 on
	"extreme heat warning":                   alert.HazardHeat,
}

// normalizeEvent lower-cases an event name and collapses its white space.
func normalizeEvent(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}
