package replay

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// load reads the cassette into c.recorded. A missing file is an error
// unless missingOK.
func (c *Cassette) load(missingOK bool) error {
	f, err := os.Open(c.cfg.Path)
	if errors.Is(err, fs.ErrNotExist) && missingOK {
		return nil
	}
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for n := 1; ; n++ {
		data, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(data)) > 0 {
			if perr := c.addLine(data); perr != nil {
				return c.lineError(n, data, perr)
			}
		}
		if err == io.EOF {
			c.unterminated = len(data) > 0
			return nil
		}
		if err != nil {
			return fmt.Errorf("replay: read %s: %w", c.cfg.Path, err)
		}
	}
}

func (c *Cassette) lineError(n int, data []byte, err error) error {
	if !bytes.HasSuffix(data, []byte("\n")) {
		return fmt.Errorf("replay: %s:%d: truncated last line (was recording interrupted? delete the line to go on): %w", c.cfg.Path, n, err)
	}
	return fmt.Errorf("replay: %s:%d: %w", c.cfg.Path, n, err)
}

// addLine decodes one cassette line and files it under its key.
func (c *Cassette) addLine(data []byte) error {
	var in interaction
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	switch {
	case in.Key == "":
		return errors.New("interaction has no key")
	case (in.Response == nil) == (in.Error == nil):
		return errors.New("interaction needs exactly one of response and error")
	}
	a := c.recorded[in.Key]
	if a == nil {
		a = &answers{}
		c.recorded[in.Key] = a
	}
	a.list = append(a.list, in)
	return nil
}
