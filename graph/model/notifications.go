package model

import (
	"context"

	"jalon/internal/followup"
	"jalon/internal/notify"
	"jalon/internal/page"
)

// NotificationConnection is a page of the caller's notifications.
type NotificationConnection struct {
	Page  page.Page[notify.Notification]
	Count Counter
}

func (c NotificationConnection) Edges() []NotificationEdge {
	return Edges(c.Page, func(cur string, n *notify.Notification) NotificationEdge { return NotificationEdge{cur, n} })
}
func (c NotificationConnection) Nodes() []notify.Notification                { return c.Page.Items }
func (c NotificationConnection) PageInfo() *PageInfo                         { return Info(c.Page) }
func (c NotificationConnection) TotalCount(ctx context.Context) (int, error) { return c.Count(ctx) }

// FollowUpConnection is a page of the caller's follow-ups.
type FollowUpConnection struct {
	Page  page.Page[followup.FollowUp]
	Count Counter
}

func (c FollowUpConnection) Edges() []FollowUpEdge {
	return Edges(c.Page, func(cur string, n *followup.FollowUp) FollowUpEdge { return FollowUpEdge{cur, n} })
}
func (c FollowUpConnection) Nodes() []followup.FollowUp                  { return c.Page.Items }
func (c FollowUpConnection) PageInfo() *PageInfo                         { return Info(c.Page) }
func (c FollowUpConnection) TotalCount(ctx context.Context) (int, error) { return c.Count(ctx) }
