package testbed

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// PKI is a throw-away certificate authority with one server and one client
// certificate, like ovs-pki makes: subjects carry names only, no address,
// so a client that checks host names would fail against them.
type PKI struct {
	CACert                string
	ServerKey, ServerCert string
	ClientKey, ClientCert string
}

// NewPKI writes a CA and certificates signed by it into dir. prefix keeps
// two PKIs apart in one directory.
func NewPKI(dir, prefix string) (*PKI, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testbed: %w", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: prefix + " test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("testbed: CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("testbed: %w", err)
	}
	p := &PKI{CACert: filepath.Join(dir, prefix+"-ca.pem")}
	if err := writePEM(p.CACert, "CERTIFICATE", caDER); err != nil {
		return nil, err
	}
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage) (keyFile, certFile string, err error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return "", "", fmt.Errorf("testbed: %w", err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return "", "", fmt.Errorf("testbed: certificate %s: %w", cn, err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return "", "", fmt.Errorf("testbed: %w", err)
		}
		keyFile = filepath.Join(dir, prefix+"-"+cn+"-key.pem")
		certFile = filepath.Join(dir, prefix+"-"+cn+"-cert.pem")
		if err := writePEM(keyFile, "PRIVATE KEY", keyDER); err != nil {
			return "", "", err
		}
		return keyFile, certFile, writePEM(certFile, "CERTIFICATE", der)
	}
	if p.ServerKey, p.ServerCert, err = issue(2, "server", x509.ExtKeyUsageServerAuth); err != nil {
		return nil, err
	}
	if p.ClientKey, p.ClientCert, err = issue(3, "client", x509.ExtKeyUsageClientAuth); err != nil {
		return nil, err
	}
	return p, nil
}

func writePEM(path, typ string, der []byte) error {
	b := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("testbed: %w", err)
	}
	return nil
}
