package resolvers

// CommerceUpstream reads and changes customers' orders and resources, acting
// for a customer through a customer token where upstream requires it (issue 5).
type CommerceUpstream interface{}
