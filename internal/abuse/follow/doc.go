// Package follow looks past a link's destination as written: it follows
// redirect chains from known shorteners and redirectors hop by hop, and,
// when the operator turns it on, fetches the landing page and reads
// phishing signals from it (a password field, a form posting to another
// domain, a brand named on a domain that is not the brand's, obfuscated
// script, a meta refresh). It does so in the background after a create
// (Follower), and rescans the landing pages of active links on a schedule
// so a page swapped after the create is caught.
//
// Every request goes through Client, which never connects to a private,
// loopback, link-local or metadata address (checked on the address it
// dials, so DNS cannot point it there), sends no cookies and a fixed user
// agent, and keeps within a hop, time and size budget.
package follow
