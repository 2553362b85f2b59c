package discordtest

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// Command is an application command as registered.
type Command struct {
	ID                       string          `json:"id,omitempty"`
	Name                     string          `json:"name"`
	Description              string          `json:"description"`
	Type                     int             `json:"type,omitempty"`
	Options                  []CommandOption `json:"options,omitempty"`
	DefaultMemberPermissions *string         `json:"default_member_permissions"`
	DMPermission             *bool           `json:"dm_permission,omitempty"`
}

// CommandOption is an option of a command.
type CommandOption struct {
	Type        int    `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Required    bool   `json:"required,omitempty"`
}

// Commands returns the commands registered in scope ("" for global).
func (s *Server) Commands(scope string) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Command(nil), s.commands[scope]...)
}

// SetCommands pretends commands were registered in scope before, as by an
// older version of the bot.
func (s *Server) SetCommands(scope string, cmds []Command) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands[scope] = append([]Command(nil), cmds...)
}

// WaitCommands waits until the bot has registered commands in scope (a bulk
// overwrite reached the fake) and returns them.
func (s *Server) WaitCommands(ctx context.Context, scope string) ([]Command, error) {
	err := s.waitFor(ctx, "commands", func() bool {
		for _, c := range s.calls {
			if c.Route == RouteCommands && c.Scope == scope {
				return true
			}
		}
		return false
	})
	return s.Commands(scope), err
}

var commandName = regexp.MustCompile(`^[-_\p{L}\p{N}]{1,32}$`)

func (s *Server) putCommands(w http.ResponseWriter, r *http.Request, call Call) {
	var cmds []Command
	if err := json.NewDecoder(r.Body).Decode(&cmds); err != nil {
		writeError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for i := range cmds {
		c := &cmds[i]
		if !commandName.MatchString(c.Name) || strings.ToLower(c.Name) != c.Name {
			s.violate("command name %q is not a valid lower-case name", c.Name)
		}
		if seen[c.Name] {
			s.violate("command %q registered twice", c.Name)
		}
		seen[c.Name] = true
		if n := len([]rune(c.Description)); n < 1 || n > 100 {
			s.violate("command %q: description of %d characters", c.Name, n)
		}
		for _, o := range c.Options {
			if !commandName.MatchString(o.Name) || strings.ToLower(o.Name) != o.Name {
				s.violate("command %q: option name %q is invalid", c.Name, o.Name)
			}
			if n := len([]rune(o.Description)); n < 1 || n > 100 {
				s.violate("command %q option %q: description of %d characters", c.Name, o.Name, n)
			}
		}
		c.ID = s.newID()
	}
	// A bulk overwrite replaces the whole set: commands not in it are gone.
	s.commands[call.Scope] = cmds
	call.Commands = cmds
	call.Status = http.StatusOK
	call.At = s.now()
	s.calls = append(s.calls, call)
	s.notify()
	writeJSON(w, cmds)
}
