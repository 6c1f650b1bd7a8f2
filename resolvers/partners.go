package resolvers

import (
	"partnergraph/gateway"
	"partnergraph/graph/model"
)

func kind(k gateway.Kind) model.PartnerKind {
	switch k {
	case gateway.KindTier1:
		return model.PartnerKindTier1Distributor
	case gateway.KindTier2:
		return model.PartnerKindTier2Reseller
	}
	return model.PartnerKindSolutionProvider
}

func partner(a gateway.Account) *model.Partner {
	s := gateway.Scope{Account: a.ID}
	return &model.Partner{ID: globalID("Partner", s, a.ID), PartnerID: a.ID, Name: opt(a.Name), Kind: kind(a.Kind), Scope: s}
}
