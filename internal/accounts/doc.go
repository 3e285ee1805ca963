// Package accounts is the one place that says who may do what in tiny: the
// policy of roles and key scopes, and password hashing.
package accounts
