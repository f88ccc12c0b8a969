// Command deepctx runs deep-research agents, counts tokens and lists the
// models it knows. Run "deepctx help" for the commands.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
