package resolvers

import (
	"regexp"

	"partnergraph/gateway"
)

// reCode is a catalogue code: hws.service.type.ec2, hws.resource.type.vm.
var reCode = regexp.MustCompile(`^hws\.(service|resource)\.type\.[A-Za-z0-9_.-]{1,64}$`)

func validCode(s string) bool { return reCode.MatchString(s) }

// reRegionCode is an administrative region code (6 digits).
var reRegionCode = regexp.MustCompile(`^[0-9]{2,12}$`)

// regions reads a region list with read, narrowed to the region code when
// one is given (checked before any call).
func regions(code *string, read func() ([]gateway.Region, error)) ([]gateway.Region, error) {
	c := deref(code)
	if code != nil && !reRegionCode.MatchString(c) {
		return nil, badInput("code must be an administrative region code like 440000")
	}
	rs, err := read()
	if err != nil || code == nil {
		return rs, err
	}
	for _, r := range rs {
		if r.Code == c {
			return []gateway.Region{r}, nil
		}
	}
	return []gateway.Region{}, nil
}
