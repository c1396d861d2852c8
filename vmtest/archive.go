package vmtest

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// EncodeFiles packs named files into one readable text: a header line
// "-- NAME LEN --" then exactly LEN bytes and a newline, per file, in name
// order. Unlike txtar it keeps contents byte for byte (a missing final
// newline, trailing blanks), which golden files of exact output need.
func EncodeFiles(files map[string][]byte) []byte {
	var b bytes.Buffer
	for _, name := range sortedKeys(files) {
		fmt.Fprintf(&b, "-- %s %d --\n", name, len(files[name]))
		b.Write(files[name])
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// DecodeFiles is the inverse of EncodeFiles.
func DecodeFiles(data []byte) (map[string][]byte, error) {
	files := map[string][]byte{}
	for len(data) > 0 {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			return nil, fmt.Errorf("vmtest: archive: truncated header %q", data)
		}
		f := strings.Fields(string(data[:nl]))
		if len(f) != 4 || f[0] != "--" || f[3] != "--" {
			return nil, fmt.Errorf("vmtest: archive: bad header %q", data[:nl])
		}
		n, err := strconv.Atoi(f[2])
		if err != nil || n < 0 || nl+1+n+1 > len(data) || data[nl+1+n] != '\n' {
			return nil, fmt.Errorf("vmtest: archive: %s: bad length %q", f[1], f[2])
		}
		files[f[1]] = data[nl+1 : nl+1+n]
		data = data[nl+1+n+1:]
	}
	return files, nil
}
