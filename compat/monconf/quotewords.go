package monconf

// QuoteWords splits s as perl's Text::ParseWords::quotewords('\s+', 0, s)
// does, which is how mon splits monitor and alert arguments before exec:
// words are separated by runs of white space; "double quotes" group and
// honour backslash escapes; 'single quotes' group and keep backslashes
// (a \' does not close them); outside quotes a backslash escapes the next
// character; quoted and unquoted parts next to each other join into one
// word. ok is false when perl's parse fails (an unbalanced quote or a
// trailing lone backslash): quotewords then returns an empty list.
// A leading run of white space yields a first word of "" as in perl
// (mon never passes one: its argument strings are trimmed).
func QuoteWords(s string) (words []string, ok bool) {
	if s == "" {
		return nil, true
	}
	var word []byte
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '"' || c == '\'' {
			end, ok := closingQuote(s, i)
			if !ok {
				return nil, false
			}
			body := s[i+1 : end]
			if c == '"' {
				word = append(word, unescape(body)...)
			} else {
				word = append(word, body...)
			}
			i = end + 1
			continue
		}
		// Unquoted part: up to white space, a quote, or the end;
		// backslash escapes the next byte (newline included).
		j := i
		var part []byte
		for j < len(s) {
			b := s[j]
			if b == '\\' {
				if j+1 >= len(s) {
					return nil, false // lone trailing backslash
				}
				part = append(part, s[j+1])
				j += 2
				continue
			}
			if isSpace(b) || b == '"' || b == '\'' {
				break
			}
			part = append(part, b)
			j++
		}
		word = append(word, part...)
		if j >= len(s) {
			i = j
			break
		}
		if isSpace(s[j]) {
			k := j
			for k < len(s) && isSpace(s[k]) {
				k++
			}
			words = append(words, string(word))
			word = nil
			i = k
			if i >= len(s) {
				// perl pushes the (undef) word once more when the
				// delimiter ends the string.
				words = append(words, "")
				return words, true
			}
			continue
		}
		// A quote follows: the next iteration handles it.
		i = j
	}
	words = append(words, string(word))
	return words, true
}

// closingQuote finds the quote closing the one at s[i], skipping
// backslash-escaped characters.
func closingQuote(s string, i int) (int, bool) {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j, true
		}
	}
	return 0, false
}

func unescape(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		out = append(out, s[i])
	}
	return out
}
