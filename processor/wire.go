package processor

import "soapgate/gateway"

// What the test processor tells about itself and its cards on the wire (issuebank,
// bankcountry, processingname): fixed sandbox values.
const (
	TestIssuer         = "TEST BANK"
	TestIssuerCountry  = "RU"
	TestProcessingName = "soapgate test processor"
)

// Issuer is the bank that issued a card: every sandbox card is TEST BANK's, in RU.
func (Test) Issuer(gateway.Card) (bank, country string) { return TestIssuer, TestIssuerCountry }

// ProcessingName names the test processor in operations' processingname.
func (Test) ProcessingName() string { return TestProcessingName }
