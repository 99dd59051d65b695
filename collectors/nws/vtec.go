package nws

import (
	"regexp"
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
	return "/" + strings.Join([]string{v.class, v.action, v.office, v.phenomenon, v.significance, v.etn,
		v.begin + "-" + v.end}, ".") + "/"
}

// pvtecToken matches one P-VTEC string without its slashes. H-VTEC strings
// (/nwsli.s.ic.yymmddThhnnZ.yymmddThhnnZ.yymmddThhnnZ.fr/) do not match.
var pvtecToken = regexp.MustCompile(`^([OTEX])\.([A-Z]{3})\.([A-Z0-9]{4})\.([A-Z]{2})\.([A-Z])\.(\d{4})\.(\d{6}T\d{4}Z)-(\d{6}T\d{4}Z)$`)

// parseVTEC returns the P-VTEC strings found in values, in order. A value may
// hold several strings, spaces or surrounding text; anything that is not a
// P-VTEC string (H-VTEC included) is skipped.
func parseVTEC(values []string) []vtec {
	var out []vtec
	for _, s := range values {
		for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return r == '/' || unicode.IsSpace(r) }) {
			m := pvtecToken.FindStringSubmatch(strings.ToUpper(tok))
			if m == nil {
				continue
			}
			out = append(out, vtec{class: m[1], action: m[2], office: m[3], phenomenon: m[4],
				significance: m[5], etn: m[6], begin: m[7], end: m[8]})
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
