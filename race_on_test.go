//go:build race

package main

// raceSlowdown is how much slower the race detector makes parsing and
// decoding a large document (time budgets of the tests are multiplied).
const raceSlowdown = 3
