// Package all registers every collector kind; import it for its side effect.
// Adding a kind is adding its folder and one line here.
package all

import (
	_ "github.com/hazardwire/hazardwire/collectors/cap"        // CAP 1.1/1.2 documents and Atom/RSS indexes
	_ "github.com/hazardwire/hazardwire/collectors/eafloods"   // UK EA flood-monitoring warnings (England)
	_ "github.com/hazardwire/hazardwire/collectors/gauge"      // river levels over thresholds → derived flood alerts
	_ "github.com/hazardwire/hazardwire/collectors/gdacs"      // GDACS flood events (RSS or event-API GeoJSON)
	_ "github.com/hazardwire/hazardwire/collectors/heatindex"  // temperature and humidity → derived heat alerts
	_ "github.com/hazardwire/hazardwire/collectors/hrfco"      // Han River Flood Control Office forecasts and levels
	_ "github.com/hazardwire/hazardwire/collectors/kma"        // KMA warnings from data.go.kr WthrWrnInfoService
	_ "github.com/hazardwire/hazardwire/collectors/kmahub"     // KMA API Hub warnings in force (wrn_now_data.php)
	_ "github.com/hazardwire/hazardwire/collectors/meteoalarm" // MeteoAlarm country Atom feeds and CAP 1.2
	_ "github.com/hazardwire/hazardwire/collectors/mois"       // safetydata.go.kr 재난문자 (DSSP-IF-00247)
	_ "github.com/hazardwire/hazardwire/collectors/nws"        // api.weather.gov active alerts
)
