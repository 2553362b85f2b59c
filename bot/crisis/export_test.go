package crisis

// ScoreBothWays returns the learned layer's score of text as Check finds it,
// each word's features summed ahead, and from every feature listed as the
// training lists them.
func (d *Detector) ScoreBothWays(text string) (summed, listed float64) {
	sc := new(scratch)
	summed = d.checkText(sc, text).Score
	sc.list = true
	listed = d.checkText(sc, text).Score
	return summed, listed
}
