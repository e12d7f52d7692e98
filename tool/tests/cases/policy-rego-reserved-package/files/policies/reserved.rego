# Written for paved, by hand: the package name is the one paved uses.
package __paved_combined__

deny contains "never" if input.kind == "Deployment"
