package resolvers

// LifecycleUpstream registers customers and submits real-name
// authentication (issue 6).
type LifecycleUpstream interface{}
