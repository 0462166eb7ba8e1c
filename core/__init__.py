"""rulewatch's core: the one model, text helpers and the error tree. It imports no other package of
rulewatch; every other package may import it."""
