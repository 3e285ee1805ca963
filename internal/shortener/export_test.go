package shortener

// WrapBcrypt makes every bcrypt hash and check of s call hold first, so a
// test can count how many run at once. Call it before s is used.
func WrapBcrypt(s *Service, hold func()) {
	gen, cmp := s.passwords.generate, s.passwords.compare
	s.passwords.generate = func(pw []byte, cost int) ([]byte, error) { hold(); return gen(pw, cost) }
	s.passwords.compare = func(hash, pw []byte) error { hold(); return cmp(hash, pw) }
}

// QueuedCreates returns how many creates of s wait for a batch.
func QueuedCreates(s *Service) int {
	s.creates.mu.Lock()
	defer s.creates.mu.Unlock()
	return len(s.creates.queue)
}
