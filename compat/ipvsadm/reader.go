package ipvsadm

import (
	"bufio"
	"io"
)

// maxToken is config_stream.h's MAX_LINE_LENGTH: fscanf's "%4096[^ \t\n\r]" splits a longer
// word into pieces of this size.
const maxToken = 4096

// LineReader is ipvsadm -R's config_stream_read: it turns stdin into argv vectors, one per
// line, with the program name first. Its quirks are kept on purpose:
//   - words are separated by blanks, tabs and carriage returns; every word that is exactly
//     "ipvsadm" is dropped, wherever it stands;
//   - there is no comment syntax ('#' is an ordinary word: "# x" makes ipvsadm print its
//     "Try ..." message and stop, which is why the ipvsadm-restore script filters '#' lines);
//   - a line holding only blanks gives a vector with just the program name;
//   - when the input ends in blanks after the last word with no newline, that last line is
//     lost; a last line without a newline is otherwise kept.
type LineReader struct {
	r     *bufio.Reader
	first string
	eof   bool
}

// NewLineReader reads lines from r; first is argv[0] of every vector.
func NewLineReader(r io.Reader, first string) *LineReader {
	return &LineReader{r: bufio.NewReader(r), first: first}
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Next returns the next vector, or ok=false at the end of the input.
func (lr *LineReader) Next() (argv []string, ok bool) {
	if lr.eof {
		return nil, false
	}
	argv = []string{lr.first}
	ntoken := 0
	var tail byte // fscanf's tail buffer: keeps its old value when no blank follows a word
	for {
		// fscanf("%4096[^ \t\n\r]%1[ \t\n\r]")
		c, err := lr.r.ReadByte()
		if err != nil {
			lr.eof = true
			break // EOF before any conversion
		}
		if isWS(c) {
			// status == 0: skip blanks by hand until a newline or a word.
			for {
				if c == '\n' {
					return argv, true
				}
				if !isWS(c) {
					_ = lr.r.UnreadByte()
					break
				}
				c, err = lr.r.ReadByte()
				if err != nil {
					lr.eof = true
					return nil, false
				}
			}
			continue
		}
		tok := []byte{c}
		for len(tok) < maxToken {
			c, err = lr.r.ReadByte()
			if err != nil {
				break
			}
			if isWS(c) {
				_ = lr.r.UnreadByte()
				break
			}
			tok = append(tok, c)
		}
		if err == nil {
			c, err = lr.r.ReadByte()
			if err == nil {
				if isWS(c) {
					tail = c
				} else {
					_ = lr.r.UnreadByte()
				}
			}
		}
		word := string(tok)
		if i := indexNUL(word); i >= 0 {
			word = word[:i] // a C string ends at the first NUL
		}
		if word != "ipvsadm" {
			ntoken++
			argv = append(argv, word)
		}
		if tail == '\n' {
			return argv, true
		}
	}
	if ntoken == 0 {
		return nil, false
	}
	return argv, true
}

func indexNUL(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return i
		}
	}
	return -1
}
