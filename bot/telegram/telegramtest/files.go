package telegramtest

import (
	"time"

	"github.com/go-telegram/bot/models"
)

func (s *Server) sendPhoto(method string, p params) (*models.Message, error) {
	chatID, err := p.int64("chat_id")
	if err != nil {
		return nil, err
	}
	photo := p.files["photo"]
	if len(photo) == 0 {
		return nil, badRequest("there is no photo in the request")
	}
	if cap := p.get("caption"); cap != "" {
		if err := checkText(cap, p.get("parse_mode"), MaxCaption); err != nil {
			return nil, err
		}
	}
	kb, err := checkKeyboard(p.get("reply_markup"))
	if err != nil {
		return nil, err
	}
	c := Call{Method: method, ChatID: chatID, Text: p.get("caption"), ParseMode: p.get("parse_mode"), Photo: photo, Keyboard: kb}
	c.MessageID = s.newMessage(chatID, c.Text, p.get("reply_markup"))
	s.record(c, true)
	me := s.me
	return &models.Message{ID: c.MessageID, From: &me, Date: int(time.Now().Unix()), Chat: models.Chat{ID: chatID}}, nil
}
