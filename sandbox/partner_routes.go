package sandbox

// registerPartnerRoutes registers IAM, customers, funds and vouchers.
func (s *Sandbox) registerPartnerRoutes() {
	s.registerIAMRoutes()
	s.registerCustomerRoutes()
	s.registerFundsRoutes()
	s.registerVoucherRoutes()
}
