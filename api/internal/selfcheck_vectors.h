// Known-answer values for the start-up self-check (ztkit::run_crypto_selfcheck), copied from
// ../shared/vectors, which the real ZeroTierOne 1.14.1 produced. The full vector files are run by
// the test suite; these few let a deployed binary check its crypto without the repository.
// The identities here are the vectors' throwaway test identities, never used on a network.
#pragma once

#include <string_view>

namespace ztkit::internal::kat {

// salsa2012.json vectors[length 65]
inline constexpr std::string_view salsa2012_key =
    "9507d30751c56307d2a481c8a289e5302d45570440b310f04ea16ba02b7640c7";
inline constexpr std::string_view salsa2012_iv =
    "583d60a821fbd7e1";
inline constexpr std::string_view salsa2012_plaintext =
    "85692265048f7a583755748774c00e9bd20cdbec9e04463df707675a9ca66e0160005e8cc2ea2262353e71b63a1176fa"
    "310eeec59aab28b13ec1cc14752af1deb8";
inline constexpr std::string_view salsa2012_ciphertext =
    "ea9c4deaa0f6522d16dc07c5ae089bd945836b2ca4d78fd743f3c5c6c83cdfde03d1429ab34ab2909f7368a1d53729b3"
    "085f4288fce6d445194d7137e1a6bcb914";

// salsa2012.json salsa20_20[0] (20 rounds, the identity hash cipher)
inline constexpr std::string_view salsa20_key =
    "c94e8dc4b4606249e2d6845b634c9ec1d1ab407c23976c2f3f422b7632225077";
inline constexpr std::string_view salsa20_iv =
    "a37f47dca531b1e4";
inline constexpr std::string_view salsa20_plaintext =
    "dfd774fcc21b1e7b1bb51f25a37f09238a12506be4010d97fa506f98d26f80b58708ef959972e1b6002d9969cd389e0b"
    "228010ba9b15ffd1ef4e2a48f5aa074e";
inline constexpr std::string_view salsa20_ciphertext =
    "5c206842d8bbd801d0a44afb70e5d83509ff3c058ed5513155cd8da6769ab72f81d35301b34a412ba78bacf4aaae6e8d"
    "7650e7b6883c8ced3ef3e3ce7d01666d";

// poly1305.json vectors[length 33]
inline constexpr std::string_view poly1305_key =
    "1af6dd6abf8143aa61e0b456a5b5c6e414f44f19bb43407125adf15229d0173d";
inline constexpr std::string_view poly1305_message =
    "185e4a6d808be480f5f7fe59f3b89b5b461ff9548d616bec2681dd1867563645a0";
inline constexpr std::string_view poly1305_tag =
    "b4e99bd825015e25c96a8f812c5847b9";

// sign.json signatures[2]
inline constexpr std::string_view sign_secret =
    "c7c3aa49cb:0:"
    "a2f1b719fcfefee8746ac00972a5da62a6470ef6c10dfee088ebe74a72d4f824505edc4183b01628b715b999aa531088"
    "3b3242120050a484c145e0dd7af7303b:"
    "e875aaf46add1ee15925297c7815a66d6eafabde7cb1805c3fb3d68e2f30b3b18f2e5a04efa2da9a5516514dede9e0f5"
    "214fa0f1a00bdea9daf856b88d9c4392";
inline constexpr std::string_view sign_message =
    "5a65726f54696572207465737420766563746f72206d657373616765";
inline constexpr std::string_view sign_signature =
    "71de84fc2cf446cef06f56e2fca2d8d73ff8ed1dd774113260e8451dc10b5e33ee6712919e4bc47124208342e52be3fd"
    "d1818767c5f26753d7d88323ac56e908d91fb322c0dda0cc20778356e4ffbde049d1d2347a9e8427728c274b99c8aeda";

// agree.json pairs[0]; b's secret from identities.json
inline constexpr std::string_view agree_a_secret =
    "3d55811c5e:0:"
    "b95bb3092d4b924905929d663defa0ccbe017e7e8c0587c8bddce9669693cd61b2427ffb892287578c3e8c4b6a79808d"
    "71ea0fb13dd90e943014bf2473bedf20:"
    "071b0cccb0195b773560e86404ed6c00564a99879b88ed9f21df05a4799fff788a49133c16e821cbcd63805a0a519766"
    "efc8fa9a8a2b8d95ad34f48808a04612";
inline constexpr std::string_view agree_b_secret =
    "a35cc3ba44:0:"
    "ec90311425f793a0a192fd13cb057e048e325593fa277302713c683096e3bb016aa558fdb8606f8dd3f40b2d64f7b47d"
    "e55cf9179f5c626295d2cc879e56b9ff:"
    "38636949a021c2f3eedd6e55acf2658e5af125dcf68342c803ba114144a8413791ca92e58536824c9402501db178da0d"
    "8a4a491295e1f817918a9bce192685be";
inline constexpr std::string_view agree_key48 =
    "78bf9668cf1b9b6f671a580937bcd2f34fb832f73c6d1d51403c9d6caf6c7913e8abadc1db376c579fe473287572fa54";
inline constexpr std::string_view aes_k0 =
    "54e37926b8e31b004c79da1661f210ca7a9d57b103b1c2bd77614ad0c5734a3d";
inline constexpr std::string_view aes_k1 =
    "402bea014c82d30479cf7f1315c04e418836a2a1f75b9e764a47273e5c18adcd";

// armor.json cases["OK(HELLO) cipher 3 (AES-GMAC-SIV)"]
inline constexpr std::string_view siv_plaintext_packet =
    "01020304050607083d55811c5ea35cc3ba44000000000000000000030111223344556677010000018bcfe5687b0c010e"
    "000104c6336414a1120000";
inline constexpr std::string_view siv_armored_packet =
    "5abfaf194145fc983d55811c5ea35cc3ba4418ab0efe566030e21712f3fb4c7450007f2e7d6993e8e400eeb8493b4a03"
    "198e2f1272d293add6d8c0";

}  // namespace ztkit::internal::kat
