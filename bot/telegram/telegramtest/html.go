package telegramtest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// allowedTags are the tags of the Bot API's HTML style
// (https://core.telegram.org/bots/api#html-style).
var allowedTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "span": true, "tg-spoiler": true,
	"a": true, "tg-emoji": true, "code": true, "pre": true, "blockquote": true,
}

// ParseHTML checks text the way the Bot API parses parse_mode HTML and returns
// the visible text (tags removed, entities decoded). It is strict: only the
// documented tags, properly nested and closed; "<", ">" and "&" in text must be
// escaped; only the named entities &lt; &gt; &amp; &quot; and numeric ones; an
// <a> needs an href.
func ParseHTML(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", errors.New("text must be encoded in UTF-8")
	}
	var out strings.Builder
	var stack []string
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case '<':
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				return "", fmt.Errorf("unclosed start tag at byte offset %d", i)
			}
			tag := s[i+1 : i+end]
			if err := checkTag(tag, &stack); err != nil {
				return "", fmt.Errorf("%v at byte offset %d", err, i)
			}
			i += end + 1
		case '>':
			return "", fmt.Errorf("unescaped \">\" at byte offset %d", i)
		case '&':
			end := strings.IndexByte(s[i:], ';')
			if end < 0 || end > 12 {
				return "", fmt.Errorf("unescaped \"&\" at byte offset %d", i)
			}
			r, err := entity(s[i+1 : i+end])
			if err != nil {
				return "", fmt.Errorf("%v at byte offset %d", err, i)
			}
			out.WriteString(r)
			i += end + 1
		default:
			out.WriteByte(c)
			i++
		}
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("can't find end tag corresponding to start tag %q", stack[len(stack)-1])
	}
	return out.String(), nil
}

func entity(name string) (string, error) {
	switch name {
	case "lt":
		return "<", nil
	case "gt":
		return ">", nil
	case "amp":
		return "&", nil
	case "quot":
		return `"`, nil
	}
	if n, ok := strings.CutPrefix(name, "#"); ok {
		var v uint64
		var err error
		if h, ok := strings.CutPrefix(strings.ToLower(n), "x"); ok {
			v, err = strconv.ParseUint(h, 16, 32)
		} else {
			v, err = strconv.ParseUint(n, 10, 32)
		}
		if err == nil && v > 0 && utf8.ValidRune(rune(v)) {
			return string(rune(v)), nil
		}
	}
	return "", fmt.Errorf("unsupported HTML entity %q", "&"+name+";")
}

func checkTag(tag string, stack *[]string) error {
	if name, ok := strings.CutPrefix(tag, "/"); ok {
		name = strings.ToLower(strings.TrimSpace(name))
		if len(*stack) == 0 || (*stack)[len(*stack)-1] != name {
			return fmt.Errorf("unexpected end tag %q", name)
		}
		*stack = (*stack)[:len(*stack)-1]
		return nil
	}
	name, attrs, _ := strings.Cut(tag, " ")
	name = strings.ToLower(name)
	if !allowedTags[name] {
		return fmt.Errorf("unsupported start tag %q", name)
	}
	a, err := parseAttrs(attrs)
	if err != nil {
		return err
	}
	switch name {
	case "a":
		href, ok := a["href"]
		if !ok || href == "" {
			return errors.New("a tag without href")
		}
		if strings.ContainsAny(href, "<>") {
			return errors.New("bad href")
		}
	case "span":
		if a["class"] != "tg-spoiler" {
			return errors.New("span without class tg-spoiler")
		}
	}
	*stack = append(*stack, name)
	return nil
}

// parseAttrs reads name="value" pairs; values must be quoted and free of
// unescaped '"'.
func parseAttrs(s string) (map[string]string, error) {
	out := map[string]string{}
	for {
		s = strings.TrimSpace(s)
		if s == "" {
			return out, nil
		}
		name, rest, ok := strings.Cut(s, "=")
		if !ok || strings.ContainsAny(name, " \"'") {
			return nil, fmt.Errorf("bad attribute in %q", s)
		}
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			return nil, fmt.Errorf("unquoted attribute value for %q", name)
		}
		q := rest[0]
		end := strings.IndexByte(rest[1:], q)
		if end < 0 {
			return nil, fmt.Errorf("unclosed attribute value for %q", name)
		}
		val := rest[1 : 1+end]
		if strings.Contains(val, "&") {
			v, err := ParseHTML(val)
			if err != nil {
				return nil, err
			}
			val = v
		}
		out[strings.ToLower(name)] = val
		s = rest[2+end:]
	}
}
