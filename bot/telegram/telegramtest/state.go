package telegramtest

import (
	"encoding/json"
	"regexp"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// SetMember sets userID's status in chatID for getChatMember (default "member").
func (s *Server) SetMember(chatID, userID int64, status models.ChatMemberType) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members[[2]int64{chatID, userID}] = status
}

var commandNameRe = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func (s *Server) setMyCommands(method string, p params) (bool, error) {
	var cmds []models.BotCommand
	if err := json.Unmarshal([]byte(p.get("commands")), &cmds); err != nil {
		return false, badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return false, badRequest("too many commands")
	}
	for _, c := range cmds {
		if !commandNameRe.MatchString(c.Command) {
			return false, badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf8.RuneCountInString(c.Description); n < 1 || n > 256 {
			return false, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	s.record(Call{Method: method, Commands: cmds}, false)
	return true, nil
}

func (s *Server) getChatMember(p params) (any, error) {
	chatID, err := p.int64("chat_id")
	if err != nil {
		return nil, err
	}
	userID, err := p.int64("user_id")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	status, ok := s.members[[2]int64{chatID, userID}]
	s.mu.Unlock()
	if !ok {
		status = models.ChatMemberTypeMember
	}
	user := User(userID)
	return map[string]any{"status": status, "user": user}, nil
}
