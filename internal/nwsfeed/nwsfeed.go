// Package nwsfeed makes synthetic US NWS /alerts/active answers: flood
// warnings shaped like the recorded ones, each its own VTEC event, for the
// daemon benchmark (internal/bench) and the nws parse benchmark. It imports
// nothing of hazardwire's, so that package nws's tests can use it.
package nwsfeed

import (
	"fmt"
	"time"
)

// Collection wraps features in a GeoJSON FeatureCollection.
func Collection(features [][]byte) []byte {
	n := len(`{"type":"FeatureCollection","features":[]}`) + len(features)
	for _, f := range features {
		n += len(f)
	}
	b := make([]byte, 0, n)
	b = append(b, `{"type":"FeatureCollection","features":[`...)
	for i, f := range features {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f...)
	}
	return append(b, "]}"...)
}

// offices are NWS forecast offices; with the event tracking number they make
// each synthetic alert its own VTEC event, hence its own alert key.
var offices = []string{"KLOT", "KOKX", "KPHI", "KLWX", "KMPX", "KDMX", "KTOP", "KFWD", "KHGX", "KLIX",
	"KMFL", "KTBW", "KJAX", "KCHS", "KRAH", "KRNK", "KPBZ", "KCLE", "KDTX", "KGRR"}

// FeatureKey is the alert key hazardwire gives feature i of collector name.
func FeatureKey(name string, i int) string {
	return fmt.Sprintf("%s:%s.FL.W.%04d", name, offices[i/9999%len(offices)], i%9999+1)
}

// FeatureEvent is the VTEC event of feature i as its P-VTEC string writes it
// ("O.NEW.KLOT.FL.W.0001"): the one mark of the alert that any relay of it
// carries, hazardwire's change (eventCodes) and the feature itself alike.
func FeatureEvent(i int) string {
	return fmt.Sprintf("O.NEW.%s.FL.W.%04d", offices[i/9999%len(offices)], i%9999+1)
}

// Feature returns feature i as the NWS API serves a flood warning: VTEC,
// UGC and SAME geocodes, a polygon, event codes, and text of the usual
// length (about 2.4 KB in all, like the recorded payloads in
// collectors/nws/testdata). run makes identifiers unique across runs on one
// store.
func Feature(run string, i int, sent time.Time) []byte {
	office := offices[i/9999%len(offices)]
	etn := i%9999 + 1
	local := sent.In(time.FixedZone("CDT", -5*3600))
	ends := local.Add(12 * time.Hour)
	lat := 30 + float64(i%1500)/100
	lon := -100 + float64(i%2000)/100
	id := fmt.Sprintf("urn:oid:2.49.0.1.840.0.bench%s.%d", run, i)
	return fmt.Appendf(nil, `{"id":"https://api.weather.gov/alerts/%[1]s","type":"Feature",
"geometry":{"type":"Polygon","coordinates":[[[%.2[2]f,%.2[3]f],[%.2[4]f,%.2[3]f],[%.2[4]f,%.2[5]f],[%.2[6]f,%.2[7]f],[%.2[2]f,%.2[5]f],[%.2[2]f,%.2[3]f]]]},
"properties":{"@id":"https://api.weather.gov/alerts/%[1]s","@type":"wx:Alert","id":"%[1]s",
"areaDesc":"Bench County %[8]d; Upper River Valley; Lower River Valley",
"geocode":{"SAME":["0480%02[9]d","0480%02[10]d"],"UGC":["TXC%03[11]d","TXC%03[12]d"]},
"affectedZones":["https://api.weather.gov/zones/county/TXC%03[11]d","https://api.weather.gov/zones/county/TXC%03[12]d"],
"references":[],"sent":%[13]q,"effective":%[13]q,"onset":%[13]q,"expires":%[14]q,"ends":%[14]q,
"status":"Actual","messageType":"Alert","category":"Met","severity":"Severe","certainty":"Likely","urgency":"Immediate",
"event":"Flood Warning","sender":"w-nws.webmaster@noaa.gov","senderName":"NWS %[15]s",
"headline":"Flood Warning issued %[16]s by NWS %[15]s",
"description":"* WHAT...Flooding caused by excessive rainfall is expected.\n\n* WHERE...Bench County %[8]d, including the upper and lower river valleys.\n\n* WHEN...Until %[16]s.\n\n* IMPACTS...Minor flooding in low-lying and poor drainage areas. Water over roadways. Some rural roads may be closed. River levels will rise quickly and stay high through the night.\n\n* ADDITIONAL DETAILS...\n- At 1000 AM CDT, Doppler radar indicated heavy rain due to thunderstorms. Between 2 and 4 inches of rain have fallen.\n- Additional rainfall amounts of 1 to 2 inches are possible in the warned area.",
"instruction":"Turn around, don't drown when encountering flooded roads. Most flood deaths occur in vehicles. Be especially cautious at night when it is harder to recognize the dangers of flooding.",
"response":"Avoid",
"parameters":{"AWIPSidentifier":["FLWFWD"],"WMOidentifier":["WGUS44 KFWD 011500"],"NWSheadline":["FLOOD WARNING IN EFFECT"],
"BLOCKCHANNEL":["EAS","NWEM","CMAS"],"VTEC":["/O.NEW.%[15]s.FL.W.%04[17]d.%[18]s-%[19]s/"],"eventEndingTime":[%[14]q],"expiredReferences":[]},
"eventCode":{"SAME":["FLW"],"NationalWeatherService":["FLW"]},"scope":"Public","code":"IPAWSv1.0","language":"en-US","web":"http://www.weather.gov"}}`,
		id, lon, lat, lon+0.4, lat+0.3, lon+0.2, lat+0.45,
		i, i%100, (i+1)%100, i%500, (i+7)%500,
		local.Format(time.RFC3339), ends.Format(time.RFC3339), office, ends.Format("3:04 PM MST Mon Jan 2"),
		etn, sent.UTC().Format("060102T1504Z"), ends.UTC().Format("060102T1504Z"))
}
