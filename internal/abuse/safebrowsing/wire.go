package safebrowsing

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// The v4 API's JSON messages, as much of them as the Update API and
// fullHashes:find use. They are exported for package sbtest, the local
// server of the tests.

// ClientInfo names the client implementation.
type ClientInfo struct {
	ClientID      string `json:"clientId"`
	ClientVersion string `json:"clientVersion"`
}

// FetchRequest is the body of threatListUpdates:fetch.
type FetchRequest struct {
	Client             ClientInfo          `json:"client"`
	ListUpdateRequests []ListUpdateRequest `json:"listUpdateRequests"`
}

// ListUpdateRequest asks for the changes to one list since State.
type ListUpdateRequest struct {
	ThreatType      string      `json:"threatType"`
	PlatformType    string      `json:"platformType"`
	ThreatEntryType string      `json:"threatEntryType"`
	State           []byte      `json:"state,omitempty"`
	Constraints     Constraints `json:"constraints"`
}

// Constraints says what the client accepts.
type Constraints struct {
	MaxUpdateEntries      int32    `json:"maxUpdateEntries,omitempty"`
	MaxDatabaseEntries    int32    `json:"maxDatabaseEntries,omitempty"`
	SupportedCompressions []string `json:"supportedCompressions"`
}

// FetchResponse is the answer of threatListUpdates:fetch.
type FetchResponse struct {
	ListUpdateResponses []ListUpdateResponse `json:"listUpdateResponses"`
	MinimumWaitDuration Duration             `json:"minimumWaitDuration,omitempty"`
}

// Response types of a list update.
const (
	FullUpdate    = "FULL_UPDATE"
	PartialUpdate = "PARTIAL_UPDATE"
)

// ListUpdateResponse is the change to one list: the removals apply to the
// client's list sorted in byte order, before the additions.
type ListUpdateResponse struct {
	ThreatType      string           `json:"threatType"`
	PlatformType    string           `json:"platformType"`
	ThreatEntryType string           `json:"threatEntryType"`
	ResponseType    string           `json:"responseType"`
	Additions       []ThreatEntrySet `json:"additions,omitempty"`
	Removals        []ThreatEntrySet `json:"removals,omitempty"`
	NewClientState  []byte           `json:"newClientState"`
	Checksum        Checksum         `json:"checksum"`
}

// Checksum is the SHA-256 of the list's prefixes after the update,
// concatenated in byte order.
type Checksum struct {
	SHA256 []byte `json:"sha256"`
}

// Compression types of a ThreatEntrySet.
const (
	Raw  = "RAW"
	Rice = "RICE"
)

// ThreatEntrySet is a set of hash prefixes (additions) or indices
// (removals), raw or Rice-coded.
type ThreatEntrySet struct {
	CompressionType string             `json:"compressionType"`
	RawHashes       *RawHashes         `json:"rawHashes,omitempty"`
	RawIndices      *RawIndices        `json:"rawIndices,omitempty"`
	RiceHashes      *RiceDeltaEncoding `json:"riceHashes,omitempty"`
	RiceIndices     *RiceDeltaEncoding `json:"riceIndices,omitempty"`
}

// RawHashes are prefixes of one size, concatenated.
type RawHashes struct {
	PrefixSize int32  `json:"prefixSize"`
	RawHashes  []byte `json:"rawHashes"`
}

// RawIndices are removal indices.
type RawIndices struct {
	Indices []int32 `json:"indices"`
}

// RiceDeltaEncoding is a sorted list of 32-bit integers: the first, then
// NumEntries deltas Golomb-Rice coded with parameter RiceParameter.
// 4-byte hash prefixes are coded as little-endian integers.
type RiceDeltaEncoding struct {
	FirstValue    Int64  `json:"firstValue,omitempty"`
	RiceParameter int32  `json:"riceParameter,omitempty"`
	NumEntries    int32  `json:"numEntries,omitempty"`
	EncodedData   []byte `json:"encodedData,omitempty"`
}

// FindFullHashesRequest is the body of fullHashes:find: hash prefixes only.
type FindFullHashesRequest struct {
	Client       ClientInfo `json:"client"`
	ClientStates [][]byte   `json:"clientStates"`
	ThreatInfo   ThreatInfo `json:"threatInfo"`
}

// ThreatInfo names the lists and the entries looked up.
type ThreatInfo struct {
	ThreatTypes      []string      `json:"threatTypes"`
	PlatformTypes    []string      `json:"platformTypes"`
	ThreatEntryTypes []string      `json:"threatEntryTypes"`
	ThreatEntries    []ThreatEntry `json:"threatEntries"`
}

// ThreatEntry is a hash prefix or a full hash.
type ThreatEntry struct {
	Hash []byte `json:"hash"`
}

// FindFullHashesResponse lists the full hashes that match the prefixes.
type FindFullHashesResponse struct {
	Matches               []ThreatMatch `json:"matches,omitempty"`
	MinimumWaitDuration   Duration      `json:"minimumWaitDuration,omitempty"`
	NegativeCacheDuration Duration      `json:"negativeCacheDuration,omitempty"`
}

// ThreatMatch is one listed full hash and how long it may be cached.
type ThreatMatch struct {
	ThreatType      string      `json:"threatType"`
	PlatformType    string      `json:"platformType"`
	ThreatEntryType string      `json:"threatEntryType"`
	Threat          ThreatEntry `json:"threat"`
	CacheDuration   Duration    `json:"cacheDuration"`
}

// Duration is a protobuf Duration in JSON: seconds with an "s", such as
// "593.440s".
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(strconv.FormatFloat(time.Duration(d).Seconds(), 'f', -1, 64) + "s")
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Int64 is a protobuf int64 in JSON: a string, or a number.
type Int64 int64

// MarshalJSON implements json.Marshaler.
func (n Int64) MarshalJSON() ([]byte, error) { return json.Marshal(strconv.FormatInt(int64(n), 10)) }

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int64) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseInt(string(bytes.Trim(b, `"`)), 10, 64)
	if err != nil {
		return err
	}
	*n = Int64(v)
	return nil
}
