package edge

// Exported for the tests of package edge_test.
var (
	CountTokens   = countTokens
	Negotiate     = negotiate
	Clip          = clip
	ClientAddress = clientAddress
)

// Lookup is Manifest.lookup.
func (m *Manifest) Lookup(id string) (string, bool) { return m.lookup(id) }
