package tiny

import (
	"context"
	"time"
)

// Safety is what the link-safety check knows about a link.
type Safety struct {
	// Score is the abuse score, 0 (clean) to 1 (certainly abuse), given at
	// create time or by the last rescan that changed the link.
	Score float64
	// Auto is what the system decided on its own: active, flagged or
	// blocked. Moderators' decisions are measured against it.
	Auto LinkStatus
	// Reason names the signals behind Auto, for moderators.
	Reason string
	// Review is why the link waits in the review queue; ReviewNone when it
	// does not.
	Review ReviewReason
	// Reports counts the reports anyone has made on the link.
	Reports int64
}

// Screening is the safety check's verdict on a destination: StatusActive,
// StatusFlagged (create it, but send it to review) or StatusBlocked
// (refuse it).
type Screening struct {
	Status LinkStatus
	Score  float64
	Reason string // the signals behind the verdict, for moderators and the audit log
}

// ReviewReason is why a link is in the review queue.
type ReviewReason string

// The review reasons.
const (
	ReviewNone     ReviewReason = ""
	ReviewFlagged  ReviewReason = "flagged"  // the scorer was not sure
	ReviewReported ReviewReason = "reported" // someone reported the link
	ReviewAppeal   ReviewReason = "appeal"   // the owner appealed a block
)

// AuditAction is what an audit entry records.
type AuditAction string

// The audit actions.
const (
	ActionRefused  AuditAction = "refused"  // a create was refused as unsafe; no link exists
	ActionFlagged  AuditAction = "flagged"  // the system created the link flagged
	ActionBlocked  AuditAction = "blocked"  // the system or a moderator blocked the link
	ActionApproved AuditAction = "approved" // a moderator made the link active
	ActionReported AuditAction = "reported" // someone reported the link
	ActionAppealed AuditAction = "appealed" // the owner appealed the block

	ActionDestinationBlocked   AuditAction = "destination_blocked"   // a moderator blocked a destination (no one link)
	ActionDestinationUnblocked AuditAction = "destination_unblocked" // a moderator removed a destination block
)

// SystemActor is the ActorID of decisions tiny takes on its own (scoring,
// feeds); reports come from the public and also carry it.
const SystemActor int64 = 0

// AuditEntry is one kept decision: who did what to which link, when and why.
type AuditEntry struct {
	ID      int64
	LinkID  int64  // 0 for a refused create
	URL     string // the destination when the entry was made
	ActorID int64  // the user who acted; SystemActor for tiny itself
	Action  AuditAction
	Reason  string  // the moderator's note, the report, or the signals
	Score   float64 // the link's score when the entry was made
	// AutoBefore and ReviewBefore are the link's Safety.Auto and
	// Safety.Review just before the entry; they let a moderator's decision
	// be compared with the system's.
	AutoBefore   LinkStatus
	ReviewBefore ReviewReason
	CreatedAt    time.Time
}

// Decision is a change of a link's status by a moderator or by the system.
type Decision struct {
	LinkID int64
	// Status is StatusActive (approve) or StatusBlocked; or, by
	// SystemActor only, StatusFlagged: the link goes to the review queue.
	Status  LinkStatus
	ActorID int64 // SystemActor: a rescan or feed; it then also sets Safety.Auto and Score
	Reason  string
	Score   float64 // with SystemActor only: the new score
}

// ReviewFilter selects a page of the review queue.
type ReviewFilter struct {
	Limit  int
	Offset int
}

// AuditFilter selects audit entries, newest first. The filters combine:
// an entry must pass each one that is set.
type AuditFilter struct {
	LinkID int64 // 0: every link
	// ActorID, when not nil, keeps the entries of that actor; SystemActor
	// selects tiny's own decisions and the public's reports.
	ActorID *int64
	// Actions, when not empty, keeps the entries with one of these actions.
	Actions []AuditAction
	// From and To, when not zero, keep the entries made at or after From
	// and before To.
	From, To time.Time
	BeforeID int64 // cursor: only entries with ID < BeforeID; 0 starts at the newest
	Limit    int
}

// ModerationActions are the actions of the moderation entries, in the order
// a person meets them; the audit log also holds account events
// (accounts.AuthEventKind).
var ModerationActions = []AuditAction{ActionRefused, ActionFlagged, ActionBlocked, ActionApproved,
	ActionReported, ActionAppealed, ActionDestinationBlocked, ActionDestinationUnblocked}

// CreatorHistory is what the store knows of a link creator's past.
type CreatorHistory struct {
	LinksSince   int64 // links the user created since the given time
	RefusedSince int64 // creates of the user refused as unsafe since the given time
	Blocked      int64 // the user's links that are blocked now
}

// DecisionCount counts moderators' decisions of one kind: the system's
// prior view of the link (AutoBefore), why it was in the queue
// (ReviewBefore) and what the moderator did (Action: approved or blocked).
type DecisionCount struct {
	AutoBefore   LinkStatus
	ReviewBefore ReviewReason
	Action       AuditAction
	Count        int64
}

// DailyDecisionCount is a DecisionCount of the decisions of one UTC day.
type DailyDecisionCount struct {
	Day time.Time // midnight UTC
	DecisionCount
}

// LinkURL is the part of a link a rescan needs.
type LinkURL struct {
	ID     int64
	URL    string
	Status LinkStatus
}

// ModerationStore keeps the safety state of links, the review queue and the
// audit log. CreateLink stores Link.Safety, and appends an audit entry by
// SystemActor (action flagged or blocked) in the same transaction when
// Safety.Auto is not active.
type ModerationStore interface {
	// Decide sets a link's status, takes it out of the review queue and
	// appends the audit entry (action approved or blocked), in one
	// transaction that also publishes the change to other nodes like
	// UpdateLink. A flag by SystemActor instead puts the link in the queue
	// as ReviewFlagged (action flagged). It returns the link as changed.
	// NotFound when the link does not exist or was deleted; Invalid when
	// d.Status is not active or blocked (or flagged by SystemActor);
	// Conflict when the system flags a blocked link.
	Decide(ctx context.Context, d Decision) (*Link, error)

	// ReportLink counts a report on a link and appends the audit entry
	// (action reported, reason as given). A link that is not blocked and not
	// yet in the queue enters it as ReviewReported. NotFound when the link
	// does not exist or was deleted.
	ReportLink(ctx context.Context, linkID int64, reason string) error

	// AppealLink puts a blocked link in the queue as ReviewAppeal and
	// appends the audit entry (action appealed) by actorID. NotFound when the
	// link does not exist or was deleted; Conflict when it is not blocked or
	// already has an appeal open.
	AppealLink(ctx context.Context, linkID, actorID int64, message string) error

	// AddAudit appends an entry that changes no link, such as a refused
	// create, and sets its ID and CreatedAt.
	AddAudit(ctx context.Context, e *AuditEntry) error

	// ReviewQueue returns the links waiting for review (Safety.Review not
	// ReviewNone, deleted ones left out), highest score first, then most
	// reports, then oldest.
	ReviewQueue(ctx context.Context, f ReviewFilter) ([]*Link, error)

	// AuditLog returns the entries f selects, newest first.
	AuditLog(ctx context.Context, f AuditFilter) ([]*AuditEntry, error)

	// CreatorHistory returns the user's links and refused creates since
	// since, and how many of the user's links are blocked.
	CreatorHistory(ctx context.Context, userID int64, since time.Time) (CreatorHistory, error)

	// DecisionCounts counts the moderators' decisions (entries with an
	// ActorID other than SystemActor and action approved or blocked).
	DecisionCounts(ctx context.Context) ([]DecisionCount, error)

	// DailyDecisionCounts counts the same decisions as DecisionCounts,
	// made at or after from and before to, per UTC day, oldest day first.
	DailyDecisionCounts(ctx context.Context, from, to time.Time) ([]DailyDecisionCount, error)

	// LinkURLs returns up to limit links with an ID greater than afterID,
	// lowest ID first, deleted ones left out: the pages of a rescan.
	LinkURLs(ctx context.Context, afterID int64, limit int) ([]LinkURL, error)
}
