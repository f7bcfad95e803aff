// Command hash prints digests of generated data: sha256, sha512, md5, crc32,
// crc64 and adler32 over a few megabytes produced by a linear congruential
// generator. With an argument N it hashes N MiB (the benchmark workload).
package main

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash/adler32"
	"hash/crc32"
	"hash/crc64"
	"os"
	"strconv"
)

func main() {
	mib := 2
	if len(os.Args) > 1 {
		mib, _ = strconv.Atoi(os.Args[1])
	}
	data := make([]byte, mib<<20)
	x := uint64(88172645463325252)
	for i := range data {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		data[i] = byte(x >> 32)
	}
	fmt.Printf("sha256  %x\n", sha256.Sum256(data))
	fmt.Printf("sha512  %x\n", sha512.Sum512(data[:len(data)/2]))
	fmt.Printf("md5     %x\n", md5.Sum(data[:len(data)/4]))
	fmt.Printf("crc32   %08x\n", crc32.ChecksumIEEE(data))
	fmt.Printf("crc32c  %08x\n", crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
	fmt.Printf("crc64   %016x\n", crc64.Checksum(data, crc64.MakeTable(crc64.ECMA)))
	fmt.Printf("adler32 %08x\n", adler32.Checksum(data))
	// Iterated hashing: many small messages.
	h := sha256.Sum256(nil)
	for i := 0; i < 20000; i++ {
		h = sha256.Sum256(h[:])
	}
	fmt.Printf("chain   %x\n", h)
}
