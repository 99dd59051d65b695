// Package all registers every exporter kind; import it for its side effect.
package all

import (
	_ "github.com/hazardwire/hazardwire/exporters/webhook" // webhook kind
)
